using System.Text.Json;
using Godex.Core.Backends.Codex;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;
using Godex.Core.Routing;
using Godex.Core.Sse;
using Godex.Core.Storage;
using Godex.Server.FrontDoors.ChatCompletions;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.Responses;

/// <summary>
/// The OpenAI Responses front door: <c>POST /v1/responses</c> (streaming and not), <c>GET</c>/<c>DELETE</c>
/// <c>/v1/responses/{id}</c> for stored responses, and a quick non-101 answer to <c>GET /v1/responses</c> (Codex's
/// built-in provider tries a WebSocket upgrade first and falls back to POST).
/// </summary>
public static partial class ResponsesEndpoints
{
    /// <summary>The longest <c>previous_response_id</c> chain godex expands.</summary>
    private const int MaxChainLength = 1000;

    /// <summary>
    /// Maps the routes. Needs <see cref="ModelRouter"/>, <see cref="GodexOptions"/>, <see cref="IResponseStore"/> and
    /// <see cref="TimeProvider"/> in DI.
    /// </summary>
    public static IEndpointRouteBuilder MapResponses(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Created once here, not per request (CreateLogger(Type) builds the type's display name and takes the factory's lock).
        ILogger logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResponsesEndpoints));
        endpoints.MapPost("/v1/responses", (RequestDelegate)(context => HandleAsync(context, logger)));
        endpoints.MapGet("/v1/responses", (RequestDelegate)RefuseGetAsync);
        endpoints.MapGet("/v1/responses/{id}", (RequestDelegate)GetStoredAsync);
        endpoints.MapDelete("/v1/responses/{id}", (RequestDelegate)DeleteStoredAsync);
        return endpoints;
    }

    private static Task RefuseGetAsync(HttpContext context)
    {
        // Spec (RFC 9110 §15.5.22): 426 tells the client the upgrade it asked for is not available here; Codex then
        // falls back to HTTP POST at once instead of retrying the socket.
        bool upgrade = context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        var error = upgrade
            ? new BackendError(StatusCodes.Status426UpgradeRequired, BackendErrorTypes.InvalidRequest, "godex serves the Responses API over HTTP POST only; WebSocket is not supported") { Code = "websocket_not_supported" }
            : new BackendError(StatusCodes.Status405MethodNotAllowed, BackendErrorTypes.InvalidRequest, "use POST /v1/responses to create a response, or GET /v1/responses/{id} to read a stored one") { Code = "method_not_allowed" };
        if (!upgrade)
        {
            context.Response.Headers.Allow = "POST";
        }

        return OpenAIErrorResult.WriteAsync(context, error);
    }

    private static async Task GetStoredAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        IResponseStore store = context.RequestServices.GetRequiredService<IResponseStore>();
        StoredResponse? stored = await store.GetAsync(id, RequestUsage.OwnerOf(context), context.RequestAborted);
        byte[]? response = stored is null ? null : ResponsesStoredTurn.ReadResponse(stored.Json);
        if (response is null)
        {
            await OpenAIErrorResult.WriteAsync(context, NotFound(id, "id"));
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => w.WriteRawValue(response, skipInputValidation: true));
    }

    private static async Task DeleteStoredAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        IResponseStore store = context.RequestServices.GetRequiredService<IResponseStore>();
        if (!await store.DeleteAsync(id, RequestUsage.OwnerOf(context), context.RequestAborted))
        {
            await OpenAIErrorResult.WriteAsync(context, NotFound(id, "id"));
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        });
    }

    private static async Task HandleAsync(HttpContext context, ILogger logger)
    {
        IServiceProvider services = context.RequestServices;
        var router = services.GetRequiredService<ModelRouter>();
        var options = services.GetRequiredService<GodexOptions>();
        IResponseStore store = services.GetRequiredService<IResponseStore>();
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        CancellationToken aborted = context.RequestAborted;

        try
        {
            // 1. Body (size-limited) → validated Responses request.
            (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
            if (bodyError is not null)
            {
                await OpenAIErrorResult.WriteAsync(context, bodyError);
                return;
            }

            // Codex passthrough first: a request with nothing for godex to keep or expand, routed to the Codex backend,
            // goes there nearly verbatim and its events come back byte for byte; the backend validates it in its own
            // words, so the canonical request is never built.
            if (ResponsesRequestReader.PeekStateless(body.Span, options.Proxy.Model) is { } peeked
                && router.TryResolve(peeked.Model, out ModelRoute? direct)
                && CodexPassthrough.TryCreate(direct.Backend, out CodexPassthrough? passthrough))
            {
                if (await AdmitAsync(context, logger, peeked.Model, direct, peeked.Stream))
                {
                    await CodexPassthroughEndpoint.HandleAsync(context, passthrough, direct, body);
                }

                return;
            }

            if (!ResponsesRequestReader.TryParseRequest(body, options.Proxy.Model, out ResponsesRequest? parsed, out BackendError? parseError))
            {
                Log.RequestRejected(logger, parseError.Param, parseError.Message);
                await OpenAIErrorResult.WriteAsync(context, parseError);
                return;
            }

            // 2. Expand previous_response_id from the store: no upstream is asked to remember anything.
            var history = new List<JsonElement>();
            if (parsed.PreviousResponseId is { } previous && !await TryLoadChainAsync(store, previous, RequestUsage.OwnerOf(context), history, aborted))
            {
                await OpenAIErrorResult.WriteAsync(context, NotFound(previous, "previous_response_id") with { Code = "previous_response_not_found" });
                return;
            }

            var warnings = new List<string>();
            List<JsonElement> input = ResponsesRequestReader.ResolveReferences(parsed.Input, history, warnings);
            history.AddRange(input);
            ChatRequest request = ResponsesRequestReader.ToChatRequest(parsed, history, warnings);
            foreach (string warning in warnings)
            {
                Log.InputRepaired(logger, warning);
            }

            // 3. Route.
            if (!router.TryResolve(request.Model, out ModelRoute? route))
            {
                await OpenAIErrorResult.WriteAsync(context, ChatCompletionsEndpoints.ModelNotFound(request.Model, router, options));
                return;
            }

            if (!await AdmitAsync(context, logger, request.Model, route, parsed.Stream))
            {
                return;
            }

            // 4. Call the backend and peek: until the first content event we can still answer with a real status.
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

            // 5. Render; a stored response is saved before its terminal event leaves, so that a client that chains
            // on it at once finds it.
            TimeSpan ttl = options.Proxy.ResponsesTtl;
            string responseId = ResponsesStreamWriter.NewId("resp_");
            long createdAt = time.GetUtcNow().ToUnixTimeSeconds();
            Func<ResponsesStreamWriter, ValueTask>? save = parsed.Store
                ? renderer => SaveAsync(store, renderer, parsed, input, RequestUsage.OwnerOf(context), time, ttl, logger)
                : null;
            if (parsed.Stream)
            {
                await StreamAsync(context, enumerator, first, parsed, responseId, createdAt, model, save, logger);
            }
            else
            {
                await AggregateAsync(context, enumerator, first, parsed, responseId, createdAt, model, save);
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
            await OpenAIErrorResult.WriteAsync(context, new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while handling the request"));
        }
    }

    /// <summary>A routed request: logged, checked against the key's model allow-list (false, with the 403 written, when
    /// the key may not use the model) and reported to the usage ledger.</summary>
    private static async ValueTask<bool> AdmitAsync(HttpContext context, ILogger logger, string requested, ModelRoute route, bool stream)
    {
        Log.Routed(logger, requested, route.Model, route.Backend.Name, stream);
        if (RequestUsage.CheckModel(context, route.Model) is { } notAllowed)
        {
            await OpenAIErrorResult.WriteAsync(context, notAllowed);
            return false;
        }

        RequestUsage.Report(context, route.Model, route.Backend.Name);
        return true;
    }

    /// <summary>Loads the chain ending at <paramref name="responseId"/>, oldest turn first; false when that response is unknown.</summary>
    private static async Task<bool> TryLoadChainAsync(IResponseStore store, string responseId, string owner, List<JsonElement> items, CancellationToken cancellationToken)
    {
        var turns = new List<StoredResponse>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        string? next = responseId;
        while (next is not null && turns.Count < MaxChainLength && visited.Add(next))
        {
            StoredResponse? stored = await store.GetAsync(next, owner, cancellationToken);
            if (stored is null)
            {
                // The named response must exist; an expired ancestor just shortens the conversation.
                if (turns.Count == 0)
                {
                    return false;
                }

                break;
            }

            turns.Add(stored);
            next = stored.PreviousResponseId;
        }

        for (int i = turns.Count - 1; i >= 0; i--)
        {
            ResponsesStoredTurn.TryReadItems(turns[i].Json, items);
        }

        return true;
    }

    private static async ValueTask SaveAsync(
        IResponseStore store,
        ResponsesStreamWriter renderer,
        ResponsesRequest request,
        IReadOnlyList<JsonElement> input,
        string owner,
        TimeProvider time,
        TimeSpan ttl,
        ILogger logger)
    {
        if (renderer.Status == "failed")
        {
            return;
        }

        byte[] json = ResponsesStoredTurn.Write(input, renderer.OutputItems, renderer.WriteResponse);
        DateTimeOffset now = time.GetUtcNow();

        // Not the request's token: a response the client saw complete must be stored even if it hangs up now.
        await store.SaveAsync(new StoredResponse(renderer.ResponseId, request.PreviousResponseId, renderer.Model, json, now, now + ttl, owner), CancellationToken.None);
        Log.Stored(logger, renderer.ResponseId, json.Length);
    }

    private static async Task StreamAsync(
        HttpContext context,
        IAsyncEnumerator<StreamEvent> enumerator,
        StreamEvent first,
        ResponsesRequest request,
        string responseId,
        long createdAt,
        string model,
        Func<ResponsesStreamWriter, ValueTask>? save,
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
        var renderer = new ResponsesStreamWriter(sse, request, responseId, createdAt, model) { BeforeTerminal = save };
        try
        {
            await renderer.StartAsync(aborted);
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

    private static async Task AggregateAsync(
        HttpContext context,
        IAsyncEnumerator<StreamEvent> enumerator,
        StreamEvent first,
        ResponsesRequest request,
        string responseId,
        long createdAt,
        string model,
        Func<ResponsesStreamWriter, ValueTask>? save)
    {
        CancellationToken aborted = context.RequestAborted;
        var renderer = new ResponsesStreamWriter(null, request, responseId, createdAt, model) { BeforeTerminal = save };
        BackendError? error = null;
        bool done = await renderer.WriteAsync(first, aborted);
        if (first is StreamErrorEvent firstError)
        {
            error = firstError.Error;
        }

        while (!done && await enumerator.MoveNextAsync())
        {
            if (enumerator.Current is StreamErrorEvent failed)
            {
                error = failed.Error;
            }

            done = await renderer.WriteAsync(enumerator.Current, aborted);
        }

        if (!done)
        {
            error = BackendTurn.EndedEarly;
        }

        if (error is not null)
        {
            await OpenAIErrorResult.WriteAsync(context, error);
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, renderer.WriteResponse);
    }

    private static BackendError NotFound(string id, string param) =>
        new(StatusCodes.Status404NotFound, BackendErrorTypes.InvalidRequest, $"Response with id '{id}' not found.") { Param = param };

    // Next event id: 1708.
    private static partial class Log
    {
        [LoggerMessage(1700, LogLevel.Debug, "Responses request rejected: {Param}: {Reason}", EventName = "ResponsesRequestRejected")]
        public static partial void RequestRejected(ILogger logger, string? param, string reason);

        [LoggerMessage(1701, LogLevel.Debug, "Responses request for {Requested} routed to {Backend} as {Model} (stream: {Stream})", EventName = "ResponsesRouted")]
        public static partial void Routed(ILogger logger, string requested, string model, string backend, bool stream);

        [LoggerMessage(1702, LogLevel.Information, "Backend {Backend} refused the request with {Status}: {Message}", EventName = "ResponsesUpstreamRefused")]
        public static partial void UpstreamRefused(ILogger logger, string backend, int status, string message);

        [LoggerMessage(1703, LogLevel.Debug, "Client disconnected; upstream call cancelled", EventName = "ResponsesClientDisconnected")]
        public static partial void ClientDisconnected(ILogger logger);

        [LoggerMessage(1704, LogLevel.Error, "Responses stream failed after the first byte", EventName = "ResponsesStreamFailed")]
        public static partial void StreamFailed(ILogger logger, Exception exception);

        [LoggerMessage(1705, LogLevel.Error, "Responses request failed before the response started", EventName = "ResponsesRequestFailed")]
        public static partial void RequestFailed(ILogger logger, Exception exception);

        [LoggerMessage(1706, LogLevel.Warning, "Responses input repaired: {Warning}", EventName = "ResponsesInputRepaired")]
        public static partial void InputRepaired(ILogger logger, string warning);

        [LoggerMessage(1707, LogLevel.Debug, "Stored response {ResponseId} ({Bytes} bytes)", EventName = "ResponseStored")]
        public static partial void Stored(ILogger logger, string responseId, int bytes);
    }
}
