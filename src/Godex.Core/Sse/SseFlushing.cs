using System.Runtime.CompilerServices;

namespace Godex.Core.Sse;

/// <summary>The flush rule of a relay that writes an upstream's events through a buffered <see cref="SseWriter"/>.</summary>
public static class SseFlushing
{
    /// <summary>
    /// Moves to the next event. When it is not ready at once (everything the upstream sent so far has been written),
    /// what is buffered is sent while the next one is awaited: one send per upstream read, never an event held back.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // once per upstream read: no box per call
    public static async ValueTask<bool> MoveNextFlushingAsync<T>(this IAsyncEnumerator<T> events, SseWriter sse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(sse);
        ValueTask<bool> next = events.MoveNextAsync();
        if (!next.IsCompleted)
        {
            try
            {
                await sse.FlushAsync(cancellationToken);
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
        }

        return await next;
    }
}
