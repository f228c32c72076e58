using System.Buffers;
using System.Globalization;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.FrontDoors;

/// <summary>
/// Reads a request body into memory, once, up to a byte limit (<c>proxy.max_body_bytes</c>), within the global budget
/// of body bytes in flight (<see cref="RequestBodyBudget"/>), and checks it is JSON godex can read
/// (<see cref="JsonBodyValidator"/>). Every failure is a <see cref="BackendError"/> for the front door to answer in its
/// dialect, never an exception (issue 14: a bad chunk size or a stalled body were 500s).
/// </summary>
internal static class RequestBody
{
    /// <summary>The size of the pooled pieces a body of unknown length (chunked) is read into before its one copy.</summary>
    private const int PieceSize = 64 * 1024;

    /// <summary>
    /// Returns the body (an exact-size array the request owns: no pooled memory that could outlive it), or a 413 (too
    /// large), 503 (budget exhausted, with Retry-After), 408 (too slow), 400 (malformed framing, empty, not valid JSON).
    /// </summary>
    public static async ValueTask<(ReadOnlyMemory<byte> Body, BackendError? Error)> ReadAsync(HttpContext context, long limit)
    {
        HttpRequest request = context.Request;
        limit = Math.Min(limit, Array.MaxLength); // one array holds the body
        if (request.ContentLength > limit)
        {
            return (default, TooLarge(limit));
        }

        // Kestrel has its own limit (30 MB by default); ours is the one that counts, so lift Kestrel's. Lifted, not set
        // to ours: after a 413 for a chunked body still arriving, Kestrel drains the rest (for at most 5 s) so the
        // client reads the 413; with its limit at ours it would close on the first byte past it, and the client's next
        // write would meet a reset instead of the answer.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        RequestBodyBudget.Lease? lease = context.RequestServices.GetService<RequestBodyBudget>()?.Open();
        if (lease is not null)
        {
            // Given back when the request ends: the body is in use until then (parsed, forwarded, stored).
            context.Response.RegisterForDispose(lease);
        }

        byte[] body;
        try
        {
            body = request.ContentLength is long length
                ? await ReadKnownLengthAsync(request.Body, length, lease, context.RequestAborted)
                : await ReadChunkedAsync(request.Body, limit, lease, context.RequestAborted);
        }
        catch (BodyRejectedException ex)
        {
            return (default, ex.Error);
        }
        catch (BadHttpRequestException ex)
        {
            return (default, FromKestrel(ex, limit));
        }
        catch (IOException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Kestrel's chunked parser reports some framing errors (a chunk size that overflows) as IOException.
            return (default, BackendError.InvalidRequest("the request body is malformed: " + ex.Message));
        }

        if (body.Length == 0)
        {
            return (default, BackendError.InvalidRequest("the request body is empty; expected a JSON object"));
        }

        LargeBodies.Process.Seen(body.Length);

        if (JsonBodyValidator.Validate(body) is { } invalid)
        {
            return (default, invalid);
        }

        return (body, null);
    }

    /// <summary>A body with a Content-Length: one array of that size, filled in place.</summary>
    private static async ValueTask<byte[]> ReadKnownLengthAsync(Stream source, long length, RequestBodyBudget.Lease? lease, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return [];
        }

        Reserve(lease, length);
        byte[] body = GC.AllocateUninitializedArray<byte>((int)length);
        int filled = 0;
        while (filled < body.Length)
        {
            int read = await source.ReadAsync(body.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                break; // Kestrel reports a short body itself (400, "Unexpected end of request content")
            }

            filled += read;
        }

        return filled == body.Length ? body : body[..filled];
    }

    /// <summary>A body without a length: pooled 64 KB pieces while it arrives, then one exact copy.</summary>
    private static async ValueTask<byte[]> ReadChunkedAsync(Stream source, long limit, RequestBodyBudget.Lease? lease, CancellationToken cancellationToken)
    {
        var pieces = new List<byte[]>();
        long total = 0;
        try
        {
            while (true)
            {
                byte[] piece = ArrayPool<byte>.Shared.Rent(PieceSize);
                pieces.Add(piece);
                int filled = 0;
                while (filled < PieceSize)
                {
                    int read = await source.ReadAsync(piece.AsMemory(filled, PieceSize - filled), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                    if (total + filled > limit)
                    {
                        throw new BodyRejectedException(TooLarge(limit));
                    }
                }

                Reserve(lease, filled);
                total += filled;
                if (filled < PieceSize)
                {
                    break;
                }
            }

            byte[] body = GC.AllocateUninitializedArray<byte>((int)total);
            long offset = 0;
            foreach (byte[] piece in pieces)
            {
                int count = (int)Math.Min(PieceSize, total - offset);
                piece.AsSpan(0, count).CopyTo(body.AsSpan((int)offset));
                offset += count;
            }

            return body;
        }
        finally
        {
            foreach (byte[] piece in pieces)
            {
                ArrayPool<byte>.Shared.Return(piece);
            }
        }
    }

    private static void Reserve(RequestBodyBudget.Lease? lease, long bytes)
    {
        if (lease is not null && !lease.TryGrow(bytes))
        {
            throw new BodyRejectedException(new BackendError(
                StatusCodes.Status503ServiceUnavailable,
                BackendErrorTypes.Overloaded,
                "godex is holding as many request bytes as it may (proxy.max_inflight_body_bytes); retry in a moment")
            {
                Code = "server_busy",
                RetryAfter = TimeSpan.FromSeconds(1),
            });
        }
    }

    /// <summary>Kestrel's verdict on the body's framing or pace, as an error in the front door's dialect.</summary>
    private static BackendError FromKestrel(BadHttpRequestException ex, long limit) => ex.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => TooLarge(limit),
        StatusCodes.Status408RequestTimeout => new BackendError(
            StatusCodes.Status408RequestTimeout,
            BackendErrorTypes.Timeout,
            "the request body arrived too slowly (below 240 bytes/s after a 5 s grace period); send it at once")
        {
            Code = "request_timeout",
        },
        _ => new BackendError(
            ex.StatusCode is >= 400 and < 500 ? ex.StatusCode : StatusCodes.Status400BadRequest,
            BackendErrorTypes.InvalidRequest,
            "the request body is malformed: " + ex.Message),
    };

    private static BackendError TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, BackendErrorTypes.InvalidRequest,
            string.Create(CultureInfo.InvariantCulture, $"the request body exceeds the limit of {limit} bytes (proxy.max_body_bytes)"))
        {
            Code = "request_too_large",
        };

    /// <summary>Carries a refusal out of the read loops (it never leaves this class).</summary>
    private sealed class BodyRejectedException(BackendError error) : Exception(error.Message)
    {
        public BackendError Error { get; } = error;
    }
}
