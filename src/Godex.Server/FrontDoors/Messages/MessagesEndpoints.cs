using System.Globalization;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Godex.Core.Routing;
using Godex.Core.Sse;
using Godex.Core.Tokens;
using Godex.Server.FrontDoors.ChatCompletions;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.Messages;

/// <summary>
/// The Anthropic Messages front door: <c>POST /v1/messages</c> (any query string, e.g. Claude Code's
/// <c>?beta=true</c>; any <c>anthropic-beta</c> header), streaming and not, on every backend; plus <c>GET/HEAD /</c>
/// answering 200, which Claude Code probes before its first request. Errors before the first byte are
/// <c>{"type":"error","error":{"type","message"}}</c> with the status the API would use; after it, an <c>error</c>
/// event.
/// </summary>
public static partial class MessagesEndpoints
{
    /// <summary>How long a stream may stay silent before godex sends a <c>ping</c> keep-alive.</summary>
    internal static TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Maps <c>POST /v1/messages</c>, <c>POST /v1/messages/count_tokens</c> and <c>GET/HEAD /</c>.</summary>
    public static IEndpointConventionBuilder MapMessages(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Created once here, not per request (CreateLogger(Type) builds the type's display name and takes the factory's lock).
        ILogger logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MessagesEndpoints));
        endpoints.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], (RequestDelegate)(context =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        }));
        endpoints.MapPost(CountTokensEndpoint.Path, (RequestDelegate)CountTokensEndpoint.HandleAsync);
        return endpoints.MapPost("/v1/messages", (RequestDelegate)(context => HandleAsync(context, logger)));
    }

    /// <summary>Writes an Anthropic-shaped error response, with <c>retry-after</c> when the upstream gave one.</summary>
    internal static Task WriteErrorAsync(HttpContext context, BackendError error)
    {
        if (error.RetryAfter is { } retryAfter)
        {
            long seconds = Math.Max(0, (long)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return JsonResponse.WriteAsync(context, error.Status, w => MessagesJsonWriter.WriteError(w, error));
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
                await WriteErrorAsync(context, bodyError);
                return;
            }

            // A Claude model goes to Anthropic byte for byte (thinking signatures stay valid): route on the model alone
            // and let Anthropic validate the rest in its own words; building the canonical request would be wasted.
            (string? peekedModel, bool peekedStream) = MessagesRequestReader.PeekRouting(body.Span);
            if (peekedModel is not null && router.TryResolve(peekedModel, out ModelRoute? direct) && direct.Backend is AnthropicBackend claude)
            {
                Log.Routed(logger, peekedModel, direct.Model, claude.Name, peekedStream);
                if (RequestUsage.CheckModel(context, direct.Model) is { } denied)
                {
                    await WriteErrorAsync(context, denied);
                    return;
                }

                RequestUsage.Report(context, direct.Model, claude.Name);
                await MessagesPassthrough.HandleAsync(context, claude, direct.Model, body, "/v1/messages");
                return;
            }

            if (!MessagesRequestReader.TryParseRequest(body, options.Proxy.Model, out ChatRequest? request, out BackendError? parseError))
            {
                Log.RequestRejected(logger, parseError.Param, parseError.Message);
                await WriteErrorAsync(context, parseError);
                return;
            }

            // 2. Route. Claude Code shows a 404 as "There's an issue with the selected model".
            if (!router.TryResolve(request.Model, out ModelRoute? route))
            {
                BackendError notFound = ChatCompletionsEndpoints.ModelNotFound(request.Model, router, options);
                await WriteErrorAsync(context, notFound with { Type = BackendErrorTypes.NotFound });
                return;
            }

            Log.Routed(logger, request.Model, route.Model, route.Backend.Name, request.Stream);

            if (RequestUsage.CheckModel(context, route.Model) is { } notAllowed)
            {
                await WriteErrorAsync(context, notAllowed);
                return;
            }

            RequestUsage.Report(context, route.Model, route.Backend.Name);

            // Same dialect (a body without a model, routed by proxy.model to a Claude model).
            if (route.Backend is AnthropicBackend anthropic)
            {
                await MessagesPassthrough.HandleAsync(context, anthropic, route.Model, body, "/v1/messages");
                return;
            }

            if (request.ProviderOnlyTools.Count > 0)
            {
                string types = string.Join(", ", request.ProviderOnlyTools);
                await WriteErrorAsync(context, BackendError.InvalidRequest(
                    $"tools: {types} can only run on Anthropic's side; model {request.Model} is served by the {route.Backend.Name} backend. Remove the tool or choose a Claude model.",
                    "tools"));
                return;
            }

            // message_start must carry the prompt size before this upstream reports it (at the end). Counting a
            // 100 KB prompt with o200k costs ~2 ms of CPU (bench TokenCountBenchmarks), so it runs beside the call
            // and is normally done before the upstream's first byte arrives.
            Task<long> promptTokens = Task.Run(() => PromptTokenCount.Count(request, aborted), aborted);

            // 3. Call the backend and peek: until the first content event we can still answer with a real status.
            await using BackendTurn turn = await BackendTurn.StartAsync(context, route, request);
            IAsyncEnumerator<StreamEvent> enumerator = turn.Events;
            StreamEvent? first = turn.First;
            string model = turn.Model;
            string? upstreamId = turn.UpstreamId;

            if (first is StreamErrorEvent refused)
            {
                Log.UpstreamRefused(logger, route.Backend.Name, refused.Error.Status, refused.Error.Message);
                await WriteErrorAsync(context, refused.Error);
                return;
            }

            if (first is null)
            {
                await WriteErrorAsync(context, BackendTurn.EndedEarly);
                return;
            }

            string id = upstreamId is not null && upstreamId.StartsWith("msg_", StringComparison.Ordinal) ? upstreamId : NewId();
            var header = new AnthropicMessageHeader(id, model, await promptTokens);
            if (request.Stream)
            {
                await StreamAsync(context, enumerator, first, header, time, logger);
            }
            else
            {
                await AggregateAsync(context, enumerator, first, header);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            Log.ClientDisconnected(logger);
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
            Log.ClientDisconnected(logger);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            Log.RequestFailed(logger, ex);
            await WriteErrorAsync(context, new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while handling the request"));
        }
    }

    private static async Task StreamAsync(
        HttpContext context,
        IAsyncEnumerator<StreamEvent> enumerator,
        StreamEvent first,
        AnthropicMessageHeader header,
        TimeProvider time,
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
        var renderer = new MessagesStreamWriter(sse, header);
        try
        {
            if (await renderer.WriteAsync(first, aborted))
            {
                return;
            }

            while (await NextWithKeepAliveAsync(enumerator, renderer, sse, time, aborted))
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

    /// <summary>
    /// The next upstream event; when it is not ready at once, what is buffered is sent (one send per upstream read, as
    /// <see cref="SseFlushing.MoveNextFlushingAsync{T}"/>), and while the upstream stays silent, a <c>ping</c> every
    /// <see cref="KeepAliveInterval"/>.
    /// </summary>
    private static async ValueTask<bool> NextWithKeepAliveAsync(
        IAsyncEnumerator<StreamEvent> enumerator,
        MessagesStreamWriter renderer,
        SseWriter sse,
        TimeProvider time,
        CancellationToken aborted)
    {
        ValueTask<bool> next = enumerator.MoveNextAsync();
        if (next.IsCompleted)
        {
            return await next;
        }

        Task<bool> pending = next.AsTask();
        try
        {
            await sse.FlushAsync(aborted);
        }
        catch
        {
            // The client is gone: let the pending move finish (the same token cancels it) before the enumerator is disposed.
            await Task.WhenAny(pending);
            throw;
        }

        while (true)
        {
            using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            Task delay = Task.Delay(KeepAliveInterval, time, delayCancel.Token);
            Task done = await Task.WhenAny(pending, delay);
            if (done == pending)
            {
                await delayCancel.CancelAsync();
                return await pending;
            }

            aborted.ThrowIfCancellationRequested();
            await renderer.WritePingAsync(aborted);
            await sse.FlushAsync(aborted);
        }
    }

    private static async Task AggregateAsync(HttpContext context, IAsyncEnumerator<StreamEvent> enumerator, StreamEvent first, AnthropicMessageHeader header)
    {
        var accumulator = new ChatResponseAccumulator();
        accumulator.Add(first);
        while (!accumulator.IsCompleted && await enumerator.MoveNextAsync())
        {
            accumulator.Add(enumerator.Current);
        }

        if (accumulator.Error is { } error)
        {
            await WriteErrorAsync(context, error);
            return;
        }

        if (!accumulator.IsCompleted)
        {
            await WriteErrorAsync(context, BackendTurn.EndedEarly);
            return;
        }

        ChatResponse result = accumulator.ToResponse(header.Id, header.Model);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => MessagesJsonWriter.WriteMessage(w, header, result));
    }

    private static string NewId() => RandomIds.Create("msg_", RandomIds.Alphanumeric, 24);

    // Next event id: 1606.
    private static partial class Log
    {
        [LoggerMessage(1600, LogLevel.Debug, "Messages request rejected: {Param}: {Reason}", EventName = "MessagesRequestRejected")]
        public static partial void RequestRejected(ILogger logger, string? param, string reason);

        [LoggerMessage(1601, LogLevel.Debug, "Messages request for {Requested} routed to {Backend} as {Model} (stream: {Stream})", EventName = "MessagesRouted")]
        public static partial void Routed(ILogger logger, string requested, string model, string backend, bool stream);

        [LoggerMessage(1602, LogLevel.Information, "Backend {Backend} refused the request with {Status}: {Message}", EventName = "MessagesUpstreamRefused")]
        public static partial void UpstreamRefused(ILogger logger, string backend, int status, string message);

        [LoggerMessage(1603, LogLevel.Debug, "Client disconnected; upstream call cancelled", EventName = "MessagesClientDisconnected")]
        public static partial void ClientDisconnected(ILogger logger);

        [LoggerMessage(1604, LogLevel.Error, "Messages stream failed after the first byte", EventName = "MessagesStreamFailed")]
        public static partial void StreamFailed(ILogger logger, Exception exception);

        [LoggerMessage(1605, LogLevel.Error, "Messages request failed before the response started", EventName = "MessagesRequestFailed")]
        public static partial void RequestFailed(ILogger logger, Exception exception);
    }
}
