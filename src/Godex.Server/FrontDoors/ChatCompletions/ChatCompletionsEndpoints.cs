using System.Text;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Routing;
using Godex.Core.Sse;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.ChatCompletions;

/// <summary>The OpenAI Chat Completions front door: <c>POST /v1/chat/completions</c>, streaming and not.</summary>
public static partial class ChatCompletionsEndpoints
{
    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>. Needs <see cref="ModelRouter"/>, <see cref="GodexOptions"/> and
    /// <see cref="TimeProvider"/> in DI.
    /// </summary>
    public static IEndpointConventionBuilder MapChatCompletions(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Created once here, not per request (CreateLogger(Type) builds the type's display name and takes the factory's lock).
        ILogger logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ChatCompletionsEndpoints));
        return endpoints.MapPost("/v1/chat/completions", (RequestDelegate)(context => HandleAsync(context, logger)));
    }

    private static async Task HandleAsync(HttpContext context, ILogger logger)
    {
        IServiceProvider services = context.RequestServices;
        var router = services.GetRequiredService<ModelRouter>();
        var options = services.GetRequiredService<GodexOptions>();
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        CancellationToken aborted = context.RequestAborted;

        try
        {
            // 1. Body (size-limited) → canonical request.
            (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
            if (bodyError is not null)
            {
                await OpenAIErrorResult.WriteAsync(context, bodyError);
                return;
            }

            if (!ChatCompletionsRequestReader.TryParseRequest(body, options.Proxy.Model, out ChatCompletionsRequest? parsed, out BackendError? parseError))
            {
                Log.RequestRejected(logger, parseError.Param, parseError.Message);
                await OpenAIErrorResult.WriteAsync(context, parseError);
                return;
            }

            // 2. Route.
            ChatRequest request = parsed.Request;
            if (!router.TryResolve(request.Model, out ModelRoute? route))
            {
                await OpenAIErrorResult.WriteAsync(context, ModelNotFound(request.Model, router, options));
                return;
            }

            Log.Routed(logger, request.Model, route.Model, route.Backend.Name, request.Stream);
            if (RequestUsage.CheckModel(context, route.Model) is { } notAllowed)
            {
                await OpenAIErrorResult.WriteAsync(context, notAllowed);
                return;
            }

            RequestUsage.Report(context, route.Model, route.Backend.Name);

            // 3. Call the backend and peek: until the first content event we can still answer with a real status.
            await using BackendTurn turn = await BackendTurn.StartAsync(context, route, request);
            IAsyncEnumerator<StreamEvent> enumerator = turn.Events;
            StreamEvent? first = turn.First;
            string model = turn.Model;

            if (first is StreamErrorEvent refused)
            {
                Log.UpstreamRefused(logger, route.Backend.Name, refused.Error.Status, refused.Error.Message);
                await OpenAIErrorResult.WriteAsync(context, refused.Error);
                return;
            }

            if (first is null)
            {
                await OpenAIErrorResult.WriteAsync(context, BackendTurn.EndedEarly);
                return;
            }

            var header = new ChatCompletionHeader(NewId(), time.GetUtcNow().ToUnixTimeSeconds(), model);
            if (request.Stream)
            {
                await StreamAsync(context, enumerator, first, header, parsed.IncludeUsage, logger);
            }
            else
            {
                await AggregateAsync(context, enumerator, first, header);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; the enumerator is disposed by the await using, which cancels the upstream call.
            Log.ClientDisconnected(logger);
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
            Log.ClientDisconnected(logger);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug in a backend (they report expected failures as events): an honest 500 in the OpenAI shape.
            Log.RequestFailed(logger, ex);
            await OpenAIErrorResult.WriteAsync(context, new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while handling the request"));
        }
    }

    private static async Task StreamAsync(
        HttpContext context,
        IAsyncEnumerator<StreamEvent> enumerator,
        StreamEvent first,
        ChatCompletionHeader header,
        bool includeUsage,
        ILogger logger)
    {
        CancellationToken aborted = context.RequestAborted;
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(aborted);

        using var sse = new SseWriter(response.BodyWriter);
        var renderer = new ChatCompletionsStreamWriter(sse, header, includeUsage);
        try
        {
            if (await renderer.WriteAsync(first, aborted))
            {
                return;
            }

            while (await enumerator.MoveNextFlushingAsync(sse, aborted))
            {
                if (await renderer.WriteAsync(enumerator.Current, aborted))
                {
                    return;
                }
            }

            await renderer.WriteErrorAsync(BackendTurn.EndedEarly, aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !aborted.IsCancellationRequested && !renderer.IsCompleted)
        {
            // A backend bug after the first byte: still end the stream the way clients understand, never hang.
            Log.StreamFailed(logger, ex);
            await renderer.WriteErrorAsync(new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while streaming the response"), aborted);
        }
    }

    private static async Task AggregateAsync(HttpContext context, IAsyncEnumerator<StreamEvent> enumerator, StreamEvent first, ChatCompletionHeader header)
    {
        var accumulator = new ChatResponseAccumulator();
        accumulator.Add(first);
        while (!accumulator.IsCompleted && await enumerator.MoveNextAsync())
        {
            accumulator.Add(enumerator.Current);
        }

        if (accumulator.Error is { } error)
        {
            await OpenAIErrorResult.WriteAsync(context, error);
            return;
        }

        if (!accumulator.IsCompleted)
        {
            await OpenAIErrorResult.WriteAsync(context, BackendTurn.EndedEarly);
            return;
        }

        ChatResponse result = accumulator.ToResponse(header.Id, header.Model);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => ChatCompletionsJsonWriter.WriteCompletion(w, header, result));
    }

    internal static BackendError ModelNotFound(string model, ModelRouter router, GodexOptions options)
    {
        var prefixes = new StringBuilder();
        var backends = new HashSet<string>(router.Backends.Select(b => b.Name), StringComparer.OrdinalIgnoreCase);
        foreach ((string backend, List<string> patterns) in options.Routing.Patterns)
        {
            if (!backends.Contains(backend))
            {
                continue;
            }

            foreach (string prefix in patterns)
            {
                prefixes.Append(prefixes.Length == 0 ? "" : ", ").Append(prefix).Append('*');
            }
        }

        string known = prefixes.Length == 0 ? "none" : prefixes.ToString();
        return new BackendError(StatusCodes.Status404NotFound, BackendErrorTypes.InvalidRequest,
            $"The model `{model}` does not exist or is not routed by godex (known prefixes: {known}; see GET /v1/models)")
        {
            Param = "model",
            Code = "model_not_found",
        };
    }

    private static string NewId() => RandomIds.Create("chatcmpl-", RandomIds.Alphanumeric, 29);

    // Next event id: 1106.
    private static partial class Log
    {
        [LoggerMessage(1100, LogLevel.Debug, "Chat request rejected: {Param}: {Reason}", EventName = "ChatRequestRejected")]
        public static partial void RequestRejected(ILogger logger, string? param, string reason);

        [LoggerMessage(1101, LogLevel.Debug, "Chat request for {Requested} routed to {Backend} as {Model} (stream: {Stream})", EventName = "ChatRouted")]
        public static partial void Routed(ILogger logger, string requested, string model, string backend, bool stream);

        [LoggerMessage(1102, LogLevel.Information, "Backend {Backend} refused the request with {Status}: {Message}", EventName = "UpstreamRefused")]
        public static partial void UpstreamRefused(ILogger logger, string backend, int status, string message);

        [LoggerMessage(1103, LogLevel.Debug, "Client disconnected; upstream call cancelled", EventName = "ClientDisconnected")]
        public static partial void ClientDisconnected(ILogger logger);

        [LoggerMessage(1104, LogLevel.Error, "Chat stream failed after the first byte", EventName = "ChatStreamFailed")]
        public static partial void StreamFailed(ILogger logger, Exception exception);

        [LoggerMessage(1105, LogLevel.Error, "Chat request failed before the response started", EventName = "ChatRequestFailed")]
        public static partial void RequestFailed(ILogger logger, Exception exception);
    }
}
