using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using Godex.Core.Backends.Upstream;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Json;
using Godex.Core.Sse;

namespace Godex.Core.Relay;

/// <summary>
/// The one relay for same-dialect traffic: an upstream answer (<see cref="UpstreamResponse"/>) goes to the client byte
/// for byte, whatever the dialect (<see cref="IRelayRules"/>) and the provider.
/// </summary>
/// <remarks>
/// <code>
/// refusal ─────────────────────────────► the upstream's own body (same shape) or an error in the dialect
/// event stream, client streams ────────► 1. preamble events held back (≤ 8): an error right after them is still a status
///                                        2. the first other event starts the response (200, the upstream's headers)
///                                        3. the events of one upstream read (as they came) in one write and one send
///                                        4. terminal event → done; fault, malformed event or early end → in-band error
/// event stream, client does not stream → the dialect's aggregator → one JSON answer (or an error status)
/// JSON answer ─────────────────────────► read whole (idle and total timeouts), checked, sent
/// </code>
/// Usage is read on the side (the dialect's tap) and reported whatever happens.
/// </remarks>
internal static class PassthroughRelay
{
    private const int MaxHeldEvents = 8;

    // Returned when an answer relays no header (most do not); read only, through IRelayTarget.StartAsync.
    private static readonly List<KeyValuePair<string, string>> s_noHeaders = [];

    /// <summary>Relays <paramref name="upstream"/> to <paramref name="target"/>; throws only when the client went away.</summary>
    public static async Task<RelayResult> RelayAsync(UpstreamResponse upstream, IRelayRules rules, IRelayTarget target, bool clientStreams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(target);
        IRelayUsageTap usage = rules.CreateUsageTap();
        try
        {
            if (upstream.Error is { } refused)
            {
                await RefuseAsync(upstream, refused, rules, target);
                return new RelayResult(refused, AfterFirstByte: false);
            }

            if (!upstream.IsEventStream)
            {
                return await RelayBodyAsync(upstream, rules, usage, target);
            }

            return clientStreams || rules.CreateAggregator() is not { } aggregator
                ? await RelayEventsAsync(upstream, rules, usage, target, cancellationToken)
                : await AggregateAsync(upstream, rules, usage, aggregator, target);
        }
        finally
        {
            target.ReportUsage(usage.Usage);
        }
    }

    private static async Task RefuseAsync(UpstreamResponse upstream, BackendError refused, IRelayRules rules, IRelayTarget target)
    {
        if (rules.RelaysRefusalBodies && !upstream.ErrorBody.IsEmpty && JsonSyntax.IsValid(upstream.ErrorBody.Span) && upstream.Status >= 400)
        {
            // The upstream's own error, in the client's own dialect: as it came, with its rate-limit headers (and the
            // status godex gives it: an upstream 500 is a 502 here).
            await target.StartAsync(refused.Status, "application/json", RelayedHeaders(upstream, rules), upstream.ErrorBody.Length);
            target.Body.Write(upstream.ErrorBody.Span);
            return;
        }

        await target.WriteErrorAsync(refused);
    }

    private static async Task<RelayResult> RelayEventsAsync(
        UpstreamResponse upstream, IRelayRules rules, IRelayUsageTap usage, IRelayTarget target, CancellationToken cancellationToken)
    {
        int held = 0;
        bool started = false;
        BackendError? failure = null;
        while (await upstream.MoveNextFrameAsync())
        {
            SseFrame frame = upstream.Frame;
            RelayFrameKind kind = rules.Classify(frame);
            if (kind == RelayFrameKind.Malformed)
            {
                failure = BackendError.Upstream(502, "the upstream sent an event that is not valid JSON");
                break;
            }

            usage.Observe(frame);
            if (!started)
            {
                if (kind == RelayFrameKind.Preamble && held < MaxHeldEvents)
                {
                    upstream.HoldFrame(); // kept in the read buffer past the next event
                    held++;
                    continue;
                }

                if (kind is RelayFrameKind.Error or RelayFrameKind.Failed)
                {
                    BackendError error = rules.ErrorOf(frame);
                    await target.WriteErrorAsync(error);
                    return new RelayResult(error, AfterFirstByte: false);
                }

                await target.StartAsync(200, upstream.ContentType, RelayedHeaders(upstream, rules), contentLength: null);
                started = true;
            }

            // Held with the events before it (the preamble, the earlier events of this read) and written with them
            // when the upstream read is used up: one write and one send per read, not one per event.
            if (!upstream.HoldFrame())
            {
                WriteHeld(upstream, target);
                target.Body.Write(frame.Raw.Span);
            }

            if (kind is RelayFrameKind.Terminal or RelayFrameKind.Failed or RelayFrameKind.Error)
            {
                // The response's end sends the last events together with the chunked terminator.
                WriteHeld(upstream, target);
                return new RelayResult(kind == RelayFrameKind.Terminal ? null : rules.ErrorOf(frame), AfterFirstByte: true);
            }

            if (frame.EndsRead)
            {
                WriteHeld(upstream, target);
                await target.Body.FlushAsync(cancellationToken);
            }
        }

        failure ??= upstream.Fault ?? BackendError.Upstream(502, "the upstream closed the stream before its final event");
        if (!started)
        {
            await target.WriteErrorAsync(failure);
            return new RelayResult(failure, AfterFirstByte: false);
        }

        WriteHeld(upstream, target); // the good events before a malformed one
        rules.WriteErrorEvent(target.Body, failure);
        return new RelayResult(failure, AfterFirstByte: true);
    }

    private static void WriteHeld(UpstreamResponse upstream, IRelayTarget target)
    {
        ReadOnlyMemory<byte> held = upstream.TakeHeldFrames();
        if (!held.IsEmpty)
        {
            target.Body.Write(held.Span);
        }
    }

    private static async Task<RelayResult> AggregateAsync(
        UpstreamResponse upstream, IRelayRules rules, IRelayUsageTap usage, IRelayAggregator aggregator, IRelayTarget target)
    {
        BackendError? failure = null;
        bool done = false;
        while (!done && await upstream.MoveNextFrameAsync())
        {
            SseFrame frame = upstream.Frame;
            if (rules.Classify(frame) == RelayFrameKind.Malformed)
            {
                failure = BackendError.Upstream(502, "the upstream sent an event that is not valid JSON");
                break;
            }

            usage.Observe(frame);
            done = aggregator.Add(frame);
        }

        failure ??= aggregator.Error ?? (aggregator.Result is null
            ? upstream.Fault ?? BackendError.Upstream(502, "the upstream closed the stream before its final event")
            : null);
        if (failure is not null)
        {
            await target.WriteErrorAsync(failure);
            return new RelayResult(failure, AfterFirstByte: false);
        }

        byte[] json = aggregator.Result!;
        usage.ObserveJson(json);
        await target.StartAsync(200, "application/json", RelayedHeaders(upstream, rules), json.Length);
        target.Body.Write(json);
        return new RelayResult(null, AfterFirstByte: false);
    }

    private static async Task<RelayResult> RelayBodyAsync(UpstreamResponse upstream, IRelayRules rules, IRelayUsageTap usage, IRelayTarget target)
    {
        (byte[]? body, BackendError? fault) = await upstream.ReadBodyAsync();
        if (body is not null && !JsonSyntax.IsValid(body))
        {
            fault = BackendError.Upstream(502, "the upstream answered with a body that is not valid JSON");
        }
        else if (body is not null && RelayJson.AnswerProblem(body) is { } problem)
        {
            // A 200 that says it failed, or is not an answer at all: never a success for the client.
            fault = BackendError.Upstream(502, string.Create(CultureInfo.InvariantCulture, $"the upstream answered {upstream.Status} with {problem}"));
        }

        if (fault is not null)
        {
            await target.WriteErrorAsync(fault);
            return new RelayResult(fault, AfterFirstByte: false);
        }

        usage.ObserveJson(body);
        string contentType = upstream.ContentType.Length > 0 ? upstream.ContentType : "application/json";
        await target.StartAsync(upstream.Status, contentType, RelayedHeaders(upstream, rules), body!.Length);
        target.Body.Write(body);
        return new RelayResult(null, AfterFirstByte: false);
    }

    private static List<KeyValuePair<string, string>> RelayedHeaders(UpstreamResponse upstream, IRelayRules rules)
    {
        List<KeyValuePair<string, string>>? headers = null; // most answers relay none
        if (upstream.Headers is { } upstreamHeaders)
        {
            // As the upstream wrote them: the typed view would parse every header of every answer to relay a few.
            foreach ((string name, HeaderStringValues values) in upstreamHeaders.NonValidated)
            {
                if (rules.IsRelayedHeader(name))
                {
                    (headers ??= []).Add(new(name, values.ToString()));
                }
            }
        }

        if (upstream.Error?.RetryAfter is { } retryAfter && headers?.Exists(h => h.Key.Equals("retry-after", StringComparison.OrdinalIgnoreCase)) != true)
        {
            (headers ??= []).Add(new("retry-after", Math.Max(0, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture)));
        }

        return headers ?? s_noHeaders;
    }
}
