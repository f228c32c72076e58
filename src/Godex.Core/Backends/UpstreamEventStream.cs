using System.Runtime.CompilerServices;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Sse;

namespace Godex.Core.Backends;

/// <summary>
/// Reads an upstream's SSE body through a dialect parser into canonical events, the same way for every provider:
/// an idle timeout counted from the last event (<see cref="IdleTimeout"/>; not a total timeout: YARP's ActivityCancellationTokenSource idea), a
/// broken connection as a 502 and a silent one as a 504, both as a terminal <see cref="StreamErrorEvent"/>.
/// Disposing the enumerator disposes nothing it does not own: the caller disposes the response.
/// </summary>
internal static class UpstreamEventStream
{
    public static async IAsyncEnumerable<StreamEvent> ReadAsync(
        HttpResponseMessage response,
        IUpstreamStreamReader parser,
        string upstream,
        TimeSpan idleTimeout,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var idle = new IdleTimeout(idleTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var pending = new List<StreamEvent>(4);
        await using IAsyncEnumerator<SseEvent> events = SseEventReader.ReadAsync(body, linked.Token).GetAsyncEnumerator(linked.Token);
        while (true)
        {
            idle.Touch();
            bool hasEvent;
            BackendError? broken = null;
            try
            {
                hasEvent = await events.MoveNextAsync();
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException && idle.HasFired && !cancellationToken.IsCancellationRequested)
            {
                broken = new BackendError(504, BackendErrorTypes.Timeout, $"{upstream} sent nothing for {idleTimeout.TotalSeconds:0.#} s; stream cut");
                hasEvent = false;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                broken = BackendError.Upstream(502, $"the connection to {upstream} broke mid-stream: {ex.Message}");
                hasEvent = false;
            }

            if (broken is not null)
            {
                if (!parser.IsCompleted)
                {
                    yield return new StreamErrorEvent(broken);
                }

                yield break;
            }

            if (!hasEvent)
            {
                break;
            }

            if (events.Current.IsDone)
            {
                continue;
            }

            parser.Feed(events.Current, pending);
            foreach (StreamEvent streamEvent in pending)
            {
                yield return streamEvent;
            }

            pending.Clear();
            if (parser.IsCompleted)
            {
                yield break;
            }
        }

        parser.Complete(pending);
        foreach (StreamEvent streamEvent in pending)
        {
            yield return streamEvent;
        }
    }
}
