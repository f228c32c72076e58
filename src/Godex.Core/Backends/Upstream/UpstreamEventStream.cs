using System.Runtime.CompilerServices;
using System.Text.Unicode;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Sse;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// A translated answer, the same way for every provider: the send path's response read event by event through the
/// dialect's stream reader into canonical events. A refusal is one <see cref="StreamErrorEvent"/>; so is a body that
/// fails (silent, broken, oversized), an event that is not valid UTF-8, or one the reader cannot parse — and a body
/// that ends before the dialect's terminal event (the reader's <see cref="IUpstreamStreamReader.Complete"/>). When an
/// account of a pool answered (<see cref="UpstreamResponse.Account"/>), the first <see cref="ResponseStartedEvent"/>
/// names it (one is made up front when the dialect's reader has none before its first content).
/// </summary>
internal static class UpstreamEventStream
{
    /// <summary>
    /// Sends with <paramref name="send"/> when enumeration starts (so nothing is sent for a stream never read) and
    /// reads the answer; disposing the enumerator closes the upstream connection.
    /// </summary>
    public static async IAsyncEnumerable<StreamEvent> ReadAsync<TState>(
        Func<TState, CancellationToken, Task<UpstreamResponse>> send,
        TState state,
        IUpstreamStreamReader reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using UpstreamResponse response = await send(state, cancellationToken);
        if (response.Error is { } refused)
        {
            yield return new StreamErrorEvent(refused);
            yield break;
        }

        string? account = response.Account; // stamped on the first event, then null
        var pending = new List<StreamEvent>(4);
        while (await response.MoveNextFrameAsync())
        {
            SseFrame frame = response.Frame;
            if (frame.IsDone)
            {
                continue;
            }

            if (!Utf8.IsValid(frame.Data.Span))
            {
                yield return new StreamErrorEvent(BackendError.Upstream(502, "the upstream sent an event that is not valid UTF-8"));
                yield break;
            }

            if (!TryFeed(reader, frame, pending))
            {
                yield return new StreamErrorEvent(BackendError.Upstream(502, "the upstream sent an event with a string that is not valid Unicode (a lone surrogate escape)"));
                yield break;
            }

            StampAccount(pending, ref account);
            foreach (StreamEvent streamEvent in pending)
            {
                yield return streamEvent;
            }

            pending.Clear();
            if (reader.IsCompleted)
            {
                yield break;
            }
        }

        if (response.Fault is { } fault)
        {
            yield return new StreamErrorEvent(fault);
            yield break;
        }

        reader.Complete(pending);
        StampAccount(pending, ref account);
        foreach (StreamEvent streamEvent in pending)
        {
            yield return streamEvent;
        }
    }

    /// <summary>Names <paramref name="account"/> in the first event that is not an error, once.</summary>
    private static void StampAccount(List<StreamEvent> pending, ref string? account)
    {
        if (account is null)
        {
            return;
        }

        int first = pending.FindIndex(e => e is not StreamErrorEvent);
        if (first < 0)
        {
            return;
        }

        if (pending[first] is ResponseStartedEvent started)
        {
            pending[first] = started with { Account = account };
        }
        else
        {
            pending.Insert(first, new ResponseStartedEvent("", "") { Account = account });
        }

        account = null;
    }

    /// <summary>
    /// Feeds one event; false when it holds an escaped lone surrogate (<c>"\ud800"</c>): valid JSON and valid UTF-8,
    /// but System.Text.Json refuses to read it as a string, so the reader throws. The upstream's fault: a 502, never
    /// godex's 500.
    /// </summary>
    private static bool TryFeed(IUpstreamStreamReader reader, SseFrame frame, List<StreamEvent> pending)
    {
        try
        {
            reader.Feed(frame.ToEvent(), pending);
            return true;
        }
        catch (InvalidOperationException) when (frame.Data.Span.IndexOf("\\u"u8) >= 0)
        {
            pending.Clear();
            return false;
        }
    }
}
