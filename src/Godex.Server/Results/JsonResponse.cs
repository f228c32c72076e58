using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Buffers;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Results;

/// <summary>Writes a JSON response body with a <see cref="Utf8JsonWriter"/>: no reflection, one pooled buffer, one write.</summary>
internal static class JsonResponse
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> writeJson)
    {
        using var buffer = new PooledBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            writeJson(writer);
        }

        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
