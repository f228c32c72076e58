using System.Text.Json;
using Godex.Core.Sse;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Godex.Simulator;

/// <summary>HTTP plumbing shared by the simulated upstreams: body reading, JSON replies, SSE setup, credentials.</summary>
internal static class SimulatorHttp
{
    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Upstreams send non-ASCII text as UTF-8, not \uXXXX escapes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads the body as JSON; null when it is not JSON. Returns the byte length too, for the usage estimate.</summary>
    public static async Task<(JsonDocument? Document, int Length)> ReadJsonAsync(HttpContext context, SimulatorState? record = null)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        int length = (int)buffer.Length;
        record?.RecordBody(context.Request.Path, buffer.ToArray());
        try
        {
            return (JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, length)), length);
        }
        catch (JsonException)
        {
            return (null, length);
        }
    }

    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            write(writer);
        }

        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    /// <summary>The OpenAI error object: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static Task WriteOpenAIErrorAsync(HttpContext context, int status, string message, string type, string? param, string? code) =>
        WriteJsonAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", type);
            WriteStringOrNull(w, "param", param);
            WriteStringOrNull(w, "code", code);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    public static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>Sends SSE headers and returns a writer that flushes per event.</summary>
    public static SseWriter StartSse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return new SseWriter(context.Response.Body);
    }

    public static string? BearerToken(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    public static void SetRetryAfter(HttpContext context, SimulatorState state) =>
        context.Response.Headers.RetryAfter = state.Options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Deterministic stand-in for the random <c>obfuscation</c> padding OpenAI adds to deltas.</summary>
    public static string Obfuscation(string delta) => "godexsimulator0123"[..Math.Clamp(16 - delta.Length, 2, 16)];
}
