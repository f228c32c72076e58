using System.Runtime.CompilerServices;

namespace Godex.Core.Sse;

/// <summary>The flush rule of a relay that writes an upstream's events through a buffered <see cref="SseWriter"/>.</summary>
public static class SseFlushing
{
    /// <summary>
    /// Moves to the next event. When it is not ready at once (everything the upstream sent so far has been written),
    /// what is buffered is sent while the next one is awaited: one send per upstream read, never an event held back.
    /// </summary>
    public static ValueTask<bool> MoveNextFlushingAsync<T>(this IAsyncEnumerator<T> events, SseWriter sse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(sse);
        ValueTask<bool> next = events.MoveNextAsync();
        if (next.IsCompleted)
        {
            return next;
        }

        ValueTask flush;
        try
        {
            flush = sse.FlushAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            flush = ValueTask.FromException(ex);
        }

        if (flush.IsCompletedSuccessfully)
        {
            // The usual case: the client's connection took the bytes at once. The caller awaits the pending move
            // itself, with no async layer of this method in between: a paced stream waits once per event, and each
            // layer is one more resumption per event.
            flush.GetAwaiter().GetResult();
            return next;
        }

        return FlushThenMoveAsync(next, flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // only when the client's connection pushes back
    private static async ValueTask<bool> FlushThenMoveAsync(ValueTask<bool> next, ValueTask flush)
    {
        try
        {
            await flush;
        }
        catch
        {
            // The client is gone. Let the pending move finish (the same token cancels the upstream read), so that
            // disposing the enumerator does not find a move in flight; the flush's failure is the one that counts.
            try
            {
                await next;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
            }

            throw;
        }

        return await next;
    }
}
