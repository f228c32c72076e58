using System.Buffers;
using System.Globalization;
using Godex.Core.Conversation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Godex.Server.FrontDoors;

/// <summary>Reads a request body into memory up to a byte limit (<c>proxy.max_request_body_bytes</c>).</summary>
internal static class RequestBody
{
    /// <summary>Returns the body, or a 413 (too large) / 400 (empty) error.</summary>
    public static async Task<(ReadOnlyMemory<byte> Body, BackendError? Error)> ReadAsync(HttpContext context, long limit)
    {
        HttpRequest request = context.Request;
        if (request.ContentLength > limit)
        {
            return (default, TooLarge(limit));
        }

        // Kestrel has its own limit (30 MB by default); ours is the one that counts, so lift Kestrel's to it.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit + 1;
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength.Value : 16 * 1024);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await request.Body.ReadAsync(chunk, context.RequestAborted);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return (default, TooLarge(limit));
                }

                if (read == 0)
                {
                    break;
                }

                if (buffer.WrittenCount + (long)read > limit)
                {
                    return (default, TooLarge(limit));
                }

                buffer.Write(chunk.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (buffer.WrittenCount == 0)
        {
            return (default, BackendError.InvalidRequest("the request body is empty; expected a JSON object"));
        }

        return (buffer.WrittenMemory, null);
    }

    private static BackendError TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, BackendErrorTypes.InvalidRequest,
            string.Create(CultureInfo.InvariantCulture, $"the request body exceeds the limit of {limit} bytes (proxy.max_request_body_bytes)"))
        {
            Code = "request_too_large",
        };
}
