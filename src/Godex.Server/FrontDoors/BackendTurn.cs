using Godex.Core.Continuity;
using Godex.Core.Conversation;
using Godex.Core.Routing;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.FrontDoors;

/// <summary>
/// One backend call as every front door starts it: the routed request goes to the backend (its events observed for
/// the usage ledger as they are taken: <see cref="TakeCurrent"/>) and the stream is read up to the first content
/// event, because until then a front door can still answer with a real HTTP status instead of an in-band error.
/// </summary>
internal sealed class BackendTurn : IAsyncDisposable
{
    private readonly RequestUsage? _usage; // looked up once: every event of the stream is observed into it

    private BackendTurn(HttpContext context, IAsyncEnumerator<StreamEvent> events, StreamEvent? first, string model, string? upstreamId)
    {
        _usage = RequestUsage.Of(context);
        Events = events;
        First = first;
        Model = model;
        UpstreamId = upstreamId;
    }

    /// <summary>
    /// The rest of the stream, after <see cref="First"/>: take each event it moves to with <see cref="TakeCurrent"/>.
    /// Disposing the turn disposes it (and cancels the upstream).
    /// </summary>
    public IAsyncEnumerator<StreamEvent> Events { get; }

    /// <summary>The first event after the start; a <see cref="StreamErrorEvent"/> when the upstream refused; null when the stream ended first.</summary>
    public StreamEvent? First { get; }

    /// <summary>The model that answers: the upstream's own name for it when it said, else the routed one.</summary>
    public string Model { get; }

    /// <summary>The upstream's response id, when it gave one.</summary>
    public string? UpstreamId { get; }

    public static async Task<BackendTurn> StartAsync(HttpContext context, ModelRoute route, ChatRequest request)
    {
        BackendTurn turn = await StartOnceAsync(context, route, request);
        if (turn.First is StreamErrorEvent { Error.Status: 429 or >= 500 }
            && context.RequestServices.GetService<ModelRouter>()?.FallbackAfterRefusal(route) is { } fallback
            && RequestUsage.CheckModel(context, fallback.Model) is null)
        {
            // Every account of the backend refused and now cools down: routing.fallbacks names who answers instead,
            // before anything reached the client (issue 17).
            await turn.DisposeAsync();
            RequestUsage.Report(context, fallback.Model, fallback.Backend.Name);
            turn = await StartOnceAsync(context, fallback, request);
        }

        return turn;
    }

    private static async Task<BackendTurn> StartOnceAsync(HttpContext context, ModelRoute route, ChatRequest request)
    {
        CancellationToken aborted = context.RequestAborted;
        // UpstreamCall: long tool names shortened and restored, signed reasoning restored per client key (issue 16).
        string scope = RequestUsage.Of(context)?.KeyId ?? RequestUsage.AnonymousKeyId;
        ReasoningCache? cache = context.RequestServices.GetService<ReasoningCache>();
        IAsyncEnumerable<StreamEvent> events = UpstreamCall.StreamAsync(route.Backend, request with { Model = route.Model, ProviderKey = ProviderKeyOf(context) }, scope, cache, aborted);
        IAsyncEnumerator<StreamEvent> enumerator = events.GetAsyncEnumerator(aborted);
        try
        {
            string model = route.Model;
            string? upstreamId = null;
            while (await enumerator.MoveNextAsync())
            {
                StreamEvent current = enumerator.Current;
                RequestUsage.Observe(context, current);
                if (current is ResponseStartedEvent started)
                {
                    model = string.IsNullOrEmpty(started.Model) ? model : started.Model;
                    upstreamId = started.ResponseId;
                    continue;
                }

                return new BackendTurn(context, enumerator, current, model, upstreamId);
            }

            return new BackendTurn(context, enumerator, null, model, upstreamId);
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The client's <c>X-Provider-Key</c> (the upstream key an OpenAI-compatible backend sends instead of its own), when
    /// it is a value an upstream header can carry; anything else is ignored, as an unsafe forwarded header is.
    /// </summary>
    private static ProviderKey? ProviderKeyOf(HttpContext context) =>
        context.Request.Headers.TryGetValue("X-Provider-Key", out var values) && values.Count == 1 && values[0] is { } key
            && Godex.Core.Backends.Upstream.UpstreamHeaders.IsSafeValue(key)
            ? new ProviderKey(key)
            : null;

    /// <summary>The 502 every front door answers when the backend's stream stopped without a terminal event.</summary>
    public static BackendError EndedEarly { get; } =
        new(StatusCodes.Status502BadGateway, BackendErrorTypes.Server, "the upstream ended the response before completing it");

    /// <summary>
    /// The event the last move of <see cref="Events"/> found, recorded for the usage ledger as it is taken
    /// (<see cref="RequestUsage.Observe(HttpContext, StreamEvent)"/>; every event up to <see cref="First"/> already is).
    /// The front doors observe here, in their own loop, rather than through a wrapping stream: a paced stream waits once
    /// per event, and each async layer between the upstream and the client is one more resumption per event.
    /// </summary>
    public StreamEvent TakeCurrent()
    {
        StreamEvent current = Events.Current;
        RequestUsage.Observe(_usage, current);
        return current;
    }

    public ValueTask DisposeAsync() => Events.DisposeAsync();
}
