using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;
using Godex.Core.Routing;
using Godex.Core.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
public static class MessagesEndpoints
{
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
        endpoints.MapPost(CountTokensEndpoint.Path, (RequestDelegate)(context =>
            FrontDoorHandling.RunAsync(context, FrontDoor.Messages, logger, c => CountTokensEndpoint.HandleAsync(c, logger))));
        FrontDoorServices? services = null;
        Func<HttpContext, Task> handle = c => HandleAsync(c, logger, services ??= FrontDoorServices.Of(c.RequestServices));
        return endpoints.MapPost("/v1/messages", (RequestDelegate)(context =>
            FrontDoorHandling.RunAsync(context, FrontDoor.Messages, logger, handle)));
    }

    private static async Task HandleAsync(HttpContext context, ILogger logger, FrontDoorServices services)
    {
        FrontDoor door = FrontDoor.Messages;
        (ModelRouter router, GodexOptions options, TimeProvider _) = services;

        // 1. Body (size-limited).
        (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
        if (bodyError is not null)
        {
            await door.WriteErrorAsync(context, bodyError);
            return;
        }

        // A Claude model goes to Anthropic byte for byte (thinking signatures stay valid): route on the model alone
        // and let Anthropic validate the rest in its own words; building the canonical request would be wasted.
        (string? peekedModel, bool peekedStream) = MessagesRequestReader.PeekRouting(body.Span);
        if (peekedModel is not null && router.TryResolve(peekedModel, out ModelRoute? direct)
            && FrontDoorHandling.PassthroughOf(direct, door) is { } passthrough)
        {
            if (await FrontDoorHandling.AdmitAsync(context, door, logger, peekedModel, direct, peekedStream))
            {
                await RelayAsync(context, logger, direct, passthrough, body, peekedStream, operation: "");
            }

            return;
        }

        await TranslateAsync(context, logger, body, router, options);
    }

    /// <summary>
    /// A request godex translates: parsed into the canonical model, routed and answered by any backend. Its own method
    /// so that the passthrough above carries none of its state (its closures would be allocated on entry).
    /// </summary>
    private static async Task TranslateAsync(HttpContext context, ILogger logger, ReadOnlyMemory<byte> body, ModelRouter router, GodexOptions options)
    {
        FrontDoor door = FrontDoor.Messages;

        // 2. Canonical request, routed.
        if (!MessagesRequestReader.TryParseRequest(body, options.Proxy.Model, out ChatRequest? request, out BackendError? parseError))
        {
            FrontDoorLog.RequestRejected(logger, door.Name, parseError.Param, parseError.Message);
            await door.WriteErrorAsync(context, parseError);
            return;
        }

        // Claude Code shows a 404 as "There's an issue with the selected model".
        if (!router.TryResolve(request.Model, out ModelRoute? route))
        {
            await door.WriteErrorAsync(context, FrontDoorHandling.ModelNotFound(request.Model, router, options));
            return;
        }

        if (!await FrontDoorHandling.AdmitAsync(context, door, logger, request.Model, route, request.Stream))
        {
            return;
        }

        // Same dialect after all (a body without a model, routed by proxy.model to a Claude model).
        if (FrontDoorHandling.PassthroughOf(route, door) is { } defaulted)
        {
            await RelayAsync(context, logger, route, defaulted, body, request.Stream, operation: "");
            return;
        }

        if (request.ProviderOnlyTools.Count > 0)
        {
            string types = string.Join(", ", request.ProviderOnlyTools);
            await door.WriteErrorAsync(context, BackendError.InvalidRequest(
                $"tools: {types} can only run on Anthropic's side; model {request.Model} is served by the {route.Backend.Name} backend. Remove the tool or choose a Claude model.",
                "tools"));
            return;
        }

        // message_start must carry the prompt size before this upstream reports it (at the end). Counting a
        // 100 KB prompt with o200k costs ~2 ms of CPU (bench TokenCountBenchmarks), so it runs beside the call
        // and is normally done before the upstream's first byte arrives.
        CancellationToken aborted = context.RequestAborted;
        Task<long> promptTokens = Task.Run(() => PromptTokenCount.Count(request, aborted), aborted);

        // 3. Call the backend and peek: until the first content event we can still answer with a real status.
        await using BackendTurn turn = await BackendTurn.StartAsync(context, route, request);
        string id = turn.UpstreamId is { } upstreamId && upstreamId.StartsWith("msg_", StringComparison.Ordinal) ? upstreamId : NewId();
        var header = new AnthropicMessageHeader(id, turn.Model, turn.First is StreamErrorEvent or null ? 0 : await promptTokens);
        await FrontDoorResponder.RespondAsync(context, door, logger, route, turn, request.Stream,
            sse => new MessagesStreamWriter(sse, header),
            () => new AccumulatedAnswer(header.Id, header.Model, (w, response) => MessagesJsonWriter.WriteMessage(w, header, response)));
    }

    /// <summary>The request goes to the route's Messages backend as it came (<c>/v1/messages</c> or <c>count_tokens</c>).</summary>
    internal static Task RelayAsync(HttpContext context, ILogger logger, ModelRoute route, IPassthroughBackend backend, ReadOnlyMemory<byte> body, bool stream, string operation)
    {
        FrontDoor door = FrontDoor.Messages;
        var request = new PassthroughRequest(WireDialect.Messages, body, route.Model, stream)
        {
            Operation = operation,
            Query = context.Request.QueryString.Value,
            Headers = FrontDoorHandling.ForwardedHeaders(context, backend, door),
        };
        return FrontDoorRelay.RelayAsync(context, door, logger, route, backend, request);
    }

    private static string NewId() => RandomIds.Create("msg_", RandomIds.Alphanumeric, 24);
}
