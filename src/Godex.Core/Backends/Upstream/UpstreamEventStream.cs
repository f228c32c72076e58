using System.Runtime.CompilerServices;
using System.Text.Unicode;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Sse;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// A translated answer, the same way for every provider: the send path's response read event by event through the
/// dialect's stream reader into canonical events (or, from a dialect whose reader takes whole answers, a JSON answer
/// read whole and fed as one event). A refusal is one <see cref="StreamErrorEvent"/>; so is a body that
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
        if (reader.ReadsWholeAnswers && response.IsJson)
        {
            // A call made without a stream: the whole answer is one JSON document, read as one event.
            (byte[]? body, BackendError? failed) = await response.ReadBodyAsync();
            if (body is null)
            {
                yield return new StreamErrorEvent(failed!);
                yield break;
            }

            if (!Utf8.IsValid(body))
            {
                yield return new StreamErrorEvent(BackendError.Upstream(502, "the upstream sent an answer that is not valid UTF-8"));
                yield break;
            }

            if (!TryFeed(reader, new SseEvent("message", body), pending))
            {
                yield return new StreamErrorEvent(BackendError.Upstream(502, "the upstream sent an answer with a string that is not valid Unicode (a lone surrogate escape)"));
                yield break;
            }

            if (!reader.IsCompleted)
            {
                reader.Complete(pending);
            }

            if (pending is [StreamErrorEvent { Error.Status: 500 } answeredError])
            {
                // An answer that is an error is the upstream's refusal: its 500 is a 502 here, as the send path makes
                // it for refusals (a 500 from godex means godex itself failed).
                pending[0] = new StreamErrorEvent(answeredError.Error with { Status = 502 });
            }

            StampAccount(pending, ref account);
            foreach (StreamEvent streamEvent in pending)
            {
                yield return streamEvent;
            }

            yield break;
        }

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

            if (!TryFeed(reader, frame.ToEvent(), pending))
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
    private static bool TryFeed(IUpstreamStreamReader reader, SseEvent sse, List<StreamEvent> pending)
    {
        try
        {
            reader.Feed(sse, pending);
            return true;
        }
        catch (InvalidOperationException) when (sse.Data.Span.IndexOf("\\u"u8) >= 0)
        {
            pending.Clear();
            return false;
        }
    }
}
