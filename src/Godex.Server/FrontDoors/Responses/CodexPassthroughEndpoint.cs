using System.Buffers;
using System.Text.Json;
using Godex.Core.Backends.Codex;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;
using Godex.Core.Routing;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Godex.Server.FrontDoors.Responses;

/// <summary>
/// The Responses front door's same-dialect fast path to the Codex backend (<see cref="CodexPassthrough"/>): one call
/// from <c>POST /v1/responses</c> once a peek at the body has routed it. Streams the upstream's events byte for byte,
/// or answers non-stream callers with the aggregated response object; a refusal before the first byte is an
/// OpenAI-shaped error with the upstream's status.
/// </summary>
internal static class CodexPassthroughEndpoint
{
    // Events that may precede an error the backend reports inside a 200 stream (server_is_overloaded): held back so
    // that such an error can still become a real HTTP status.
    private const int MaxHeldEvents = 8;

    /// <summary>
    /// Passes a request through to the route's Codex backend (<paramref name="passthrough"/>); the caller has checked
    /// that the body needs no godex-side state (<see cref="ResponsesRequestReader.PeekStateless"/>).
    /// </summary>
    public static async Task HandleAsync(HttpContext context, CodexPassthrough passthrough, ModelRoute route, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(passthrough);
        ArgumentNullException.ThrowIfNull(route);
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement request = document.RootElement;
        CancellationToken aborted = context.RequestAborted;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (string name in CodexPassthrough.ForwardedHeaders)
        {
            if (context.Request.Headers.TryGetValue(name, out var value) && value.ToString() is { Length: > 0 } text)
            {
                headers.Add(new(name, text));
            }
        }

        using CodexPassthroughResponse upstream = await passthrough.SendAsync(request, route.Model, headers, aborted);
        if (upstream.Error is { } refused)
        {
            await OpenAIErrorResult.WriteAsync(context, refused);
            return;
        }

        bool stream = request.TryGetProperty("stream", out JsonElement flag) && flag.ValueKind == JsonValueKind.True;
        if (!stream)
        {
            (byte[]? json, BackendError? error) = await upstream.AggregateAsync(aborted);
            if (error is not null)
            {
                await OpenAIErrorResult.WriteAsync(context, error);
                return;
            }

            using (JsonDocument aggregated = JsonDocument.Parse(json!))
            {
                RequestUsage.Report(context, route.Model, route.Backend.Name, ResponsesStreamReader.ReadResponseUsage(aggregated.RootElement));
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = json!.Length;
            await context.Response.Body.WriteAsync(json, aborted);
            return;
        }

        await StreamAsync(context, route, upstream, aborted);
    }

    private static async Task StreamAsync(HttpContext context, ModelRoute route, CodexPassthroughResponse upstream, CancellationToken aborted)
    {
        var held = new List<CodexPassthroughEvent>(MaxHeldEvents);
        HttpResponse response = context.Response;
        await foreach (CodexPassthroughEvent item in upstream.ReadEventsAsync(aborted))
        {
            if (!response.HasStarted)
            {
                if (item.Type is "response.created" or "response.in_progress" && held.Count < MaxHeldEvents)
                {
                    held.Add(item.Detached()); // kept past the next event, which reuses the read buffer
                    continue;
                }

                if (item.Error is { } broken)
                {
                    await OpenAIErrorResult.WriteAsync(context, broken);
                    return;
                }

                if (item.Type is "error" or "response.failed")
                {
                    await OpenAIErrorResult.WriteAsync(context, FailureOf(item));
                    return;
                }

                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = upstream.ContentType;
                response.Headers.CacheControl = "no-cache";
                response.Headers["X-Accel-Buffering"] = "no";
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                await response.StartAsync(aborted);
                foreach (CodexPassthroughEvent early in held)
                {
                    response.BodyWriter.Write(early.Raw.Span);
                }
            }

            // Into the pipe without a send (a write to the response Stream sends at once); sent when the read is used up.
            response.BodyWriter.Write(item.Raw.Span);
            if (item.EndsRead)
            {
                await response.BodyWriter.FlushAsync(aborted);
            }

            if (item.Type is "response.completed" or "response.incomplete")
            {
                ReportUsage(context, route, item);
            }
        }
    }

    /// <summary>The ledger gets the upstream's own usage; parsed only from the one terminal event, off the byte path.</summary>
    private static void ReportUsage(HttpContext context, ModelRoute route, CodexPassthroughEvent terminal)
    {
        using JsonDocument document = JsonDocument.Parse(terminal.Data());
        if (document.RootElement.TryGetProperty("response", out JsonElement response))
        {
            RequestUsage.Report(context, route.Model, route.Backend.Name, ResponsesStreamReader.ReadResponseUsage(response));
        }
    }

    private static BackendError FailureOf(CodexPassthroughEvent item)
    {
        using JsonDocument document = JsonDocument.Parse(item.Data());
        JsonElement root = document.RootElement;
        JsonElement error = item.Type == "response.failed" && root.TryGetProperty("response", out JsonElement failed) && failed.TryGetProperty("error", out JsonElement inner)
            ? inner
            : root;
        return CodexPassthroughResponse.ErrorFrom(error);
    }
}
