using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.ChatCompletions;

/// <summary>The OpenAI Chat Completions front door: <c>POST /v1/chat/completions</c>, streaming and not.</summary>
public static class ChatCompletionsEndpoints
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
        FrontDoorServices? services = null;
        Func<HttpContext, Task> handle = c => HandleAsync(c, logger, services ??= FrontDoorServices.Of(c.RequestServices));
        return endpoints.MapPost("/v1/chat/completions", (RequestDelegate)(context =>
            FrontDoorHandling.RunAsync(context, FrontDoor.ChatCompletions, logger, handle)));
    }

    private static async Task HandleAsync(HttpContext context, ILogger logger, FrontDoorServices services)
    {
        FrontDoor door = FrontDoor.ChatCompletions;
        (ModelRouter router, GodexOptions options, TimeProvider time) = services;

        // 1. Body (size-limited) → canonical request.
        (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
        if (bodyError is not null)
        {
            await door.WriteErrorAsync(context, bodyError);
            return;
        }

        if (!ChatCompletionsRequestReader.TryParseRequest(body, options.Proxy.Model, out ChatCompletionsRequest? parsed, out BackendError? parseError))
        {
            FrontDoorLog.RequestRejected(logger, door.Name, parseError.Param, parseError.Message);
            await door.WriteErrorAsync(context, parseError);
            return;
        }

        // 2. Route and admit.
        ChatRequest request = parsed.Request;
        if (!router.TryResolve(request.Model, out ModelRoute? route))
        {
            await door.WriteErrorAsync(context, FrontDoorHandling.ModelNotFound(request.Model, router, options));
            return;
        }

        if (!await FrontDoorHandling.AdmitAsync(context, door, logger, request.Model, route, request.Stream))
        {
            return;
        }

        // Same dialect (an OpenAI-compatible upstream): the client's body goes up as it came, the answer back byte for byte.
        if (FrontDoorHandling.PassthroughOf(route, door) is { } passthrough)
        {
            var relayed = new PassthroughRequest(WireDialect.ChatCompletions, body, route.Model, request.Stream)
            {
                Headers = FrontDoorHandling.ForwardedHeaders(context, passthrough, door),
            };
            await FrontDoorRelay.RelayAsync(context, door, logger, route, passthrough, relayed);
            return;
        }

        // 3. Call the backend and peek: until the first content event we can still answer with a real status.
        await using BackendTurn turn = await BackendTurn.StartAsync(context, route, request);
        var header = new ChatCompletionHeader(NewId(), time.GetUtcNow().ToUnixTimeSeconds(), turn.Model);
        await FrontDoorResponder.RespondAsync(context, door, logger, route, turn, request.Stream,
            sse => new ChatCompletionsStreamWriter(sse, header, parsed.IncludeUsage),
            () => new AccumulatedAnswer(header.Id, header.Model, (w, response) => ChatCompletionsJsonWriter.WriteCompletion(w, header, response)));
    }

    private static string NewId() => RandomIds.Create("chatcmpl-", RandomIds.Alphanumeric, 29);
}
