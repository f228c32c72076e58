using System.Text.Json;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Responses;
using Godex.Core.Routing;
using Godex.Core.Storage;
using Godex.Server.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        FrontDoorServices? services = null;
        Func<HttpContext, Task> handle = c => HandleAsync(c, logger, services ??= FrontDoorServices.Of(c.RequestServices));
        endpoints.MapPost("/v1/responses", (RequestDelegate)(context =>
            FrontDoorHandling.RunAsync(context, FrontDoor.Responses, logger, handle)));
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

        return ErrorResponses.WriteOpenAIAsync(context, error);
    }

    private static async Task GetStoredAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        IResponseStore store = context.RequestServices.GetRequiredService<IResponseStore>();
        StoredResponse? stored = await store.GetAsync(id, RequestUsage.OwnerOf(context), context.RequestAborted);
        byte[]? response = stored is null ? null : ResponsesStoredTurn.ReadResponse(stored.Json);
        if (response is null)
        {
            await ErrorResponses.WriteOpenAIAsync(context, NotFound(id, "id"));
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
            await ErrorResponses.WriteOpenAIAsync(context, NotFound(id, "id"));
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

    private static async Task HandleAsync(HttpContext context, ILogger logger, FrontDoorServices doorServices)
    {
        FrontDoor door = FrontDoor.Responses;
        (ModelRouter router, GodexOptions options, TimeProvider _) = doorServices;

        // 1. Body (size-limited).
        (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
        if (bodyError is not null)
        {
            await door.WriteErrorAsync(context, bodyError);
            return;
        }

        // Passthrough first: a request with nothing for godex to keep or expand, routed to a backend that speaks
        // Responses, goes there nearly verbatim and its events come back byte for byte; the backend validates it in
        // its own words, so the canonical request is never built.
        if (ResponsesRequestReader.PeekStateless(body.Span, options.Proxy.Model) is { } peeked
            && router.TryResolve(peeked.Model, out ModelRoute? direct)
            && FrontDoorHandling.PassthroughOf(direct, door) is { } passthrough)
        {
            if (await FrontDoorHandling.AdmitAsync(context, door, logger, peeked.Model, direct, peeked.Stream))
            {
                var forward = new PassthroughRequest(WireDialect.Responses, body, direct.Model, peeked.Stream)
                {
                    Headers = FrontDoorHandling.ForwardedHeaders(context, passthrough, door),
                };
                await FrontDoorRelay.RelayAsync(context, door, logger, direct, passthrough, forward);
            }

            return;
        }

        await TranslateAsync(context, logger, body, router, options);
    }

    /// <summary>
    /// A request godex translates (and may store): parsed, its chain expanded, routed and answered by any backend. Its
    /// own method so that the passthrough above carries none of its state (its closures would be allocated on entry).
    /// </summary>
    private static async Task TranslateAsync(HttpContext context, ILogger logger, ReadOnlyMemory<byte> body, ModelRouter router, GodexOptions options)
    {
        FrontDoor door = FrontDoor.Responses;
        IServiceProvider services = context.RequestServices;
        IResponseStore store = services.GetRequiredService<IResponseStore>();
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        CancellationToken aborted = context.RequestAborted;

        // 2. Validated Responses request, with previous_response_id expanded from the store: no upstream is asked to
        // remember anything.
        if (!ResponsesRequestReader.TryParseRequest(body, options.Proxy.Model, out ResponsesRequest? parsed, out BackendError? parseError))
        {
            FrontDoorLog.RequestRejected(logger, door.Name, parseError.Param, parseError.Message);
            await door.WriteErrorAsync(context, parseError);
            return;
        }

        var history = new List<JsonElement>();
        if (parsed.PreviousResponseId is { } previous && !await TryLoadChainAsync(store, previous, RequestUsage.OwnerOf(context), history, aborted))
        {
            await door.WriteErrorAsync(context, NotFound(previous, "previous_response_id") with { Code = "previous_response_not_found" });
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

        // 3. Route and admit.
        if (!router.TryResolve(request.Model, out ModelRoute? route))
        {
            await door.WriteErrorAsync(context, FrontDoorHandling.ModelNotFound(request.Model, router, options));
            return;
        }

        if (!await FrontDoorHandling.AdmitAsync(context, door, logger, request.Model, route, parsed.Stream))
        {
            return;
        }

        // 4. Call the backend and answer; a stored response is saved before its terminal event leaves, so that a
        // client that chains on it at once finds it.
        await using BackendTurn turn = await BackendTurn.StartAsync(context, route, request);
        TimeSpan ttl = options.Proxy.ResponsesTtl;
        string responseId = ResponsesStreamWriter.NewId("resp_");
        long createdAt = time.GetUtcNow().ToUnixTimeSeconds();
        Func<ResponsesStreamWriter, ValueTask<BackendError?>>? save = parsed.Store
            ? writer => SaveAsync(store, writer, parsed, input, RequestUsage.OwnerOf(context), time, ttl, logger)
            : null;
        await FrontDoorResponder.RespondAsync(context, door, logger, route, turn, parsed.Stream,
            sse => new ResponsesStreamWriter(sse, parsed, responseId, createdAt, turn.Model) { BeforeTerminal = save },
            () => new ResponsesAnswer(new ResponsesStreamWriter(null, parsed, responseId, createdAt, turn.Model) { BeforeTerminal = save }));
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

    private static async ValueTask<BackendError?> SaveAsync(
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
            return null;
        }

        byte[] json = ResponsesStoredTurn.Write(input, renderer.OutputItems, renderer.WriteResponse);
        DateTimeOffset now = time.GetUtcNow();
        try
        {
            // Not the request's token: a response the client saw complete must be stored even if it hangs up now.
            await store.SaveAsync(new StoredResponse(renderer.ResponseId, request.PreviousResponseId, renderer.Model, json, now, now + ttl, owner), CancellationToken.None);
        }
        catch (Exception ex) when (StorageFailures.IsStorageFailure(ex))
        {
            // The database is busy past its timeout or down: the client hears it (the response fails) instead of
            // chaining later on an id godex never stored.
            Log.NotStored(logger, renderer.ResponseId, ex.Message);
            return FrontDoorHandling.StorageUnavailable("the response could not be stored (store: true); send the turn again");
        }

        Log.Stored(logger, renderer.ResponseId, json.Length);
        return null;
    }

    private static BackendError NotFound(string id, string param) =>
        new(StatusCodes.Status404NotFound, BackendErrorTypes.InvalidRequest, $"Response with id '{id}' not found.") { Param = param };

    // Next event id: 1709.
    private static partial class Log
    {
        [LoggerMessage(1706, LogLevel.Warning, "Responses input repaired: {Warning}", EventName = "ResponsesInputRepaired")]
        public static partial void InputRepaired(ILogger logger, string warning);

        [LoggerMessage(1707, LogLevel.Debug, "Stored response {ResponseId} ({Bytes} bytes)", EventName = "ResponseStored")]
        public static partial void Stored(ILogger logger, string responseId, int bytes);

        [LoggerMessage(1708, LogLevel.Error, "Response {ResponseId} could not be stored: {Reason}", EventName = "ResponseNotStored")]
        public static partial void NotStored(ILogger logger, string responseId, string reason);
    }
}
