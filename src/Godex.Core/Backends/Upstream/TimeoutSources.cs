namespace Godex.Core.Backends.Upstream;

/// <summary>Cancellation sources for timeouts, cheap on the system clock.</summary>
internal static class TimeoutSources
{
    /// <summary>
    /// A source cancelled after <paramref name="delay"/> (<see cref="Timeout.InfiniteTimeSpan"/>: not until
    /// <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>) on <paramref name="time"/>. On the system clock it is
    /// the plain source: the <see cref="TimeProvider"/> constructor makes a timer even for an infinite delay, one more
    /// trip through the runtime's timer-queue lock per upstream call.
    /// </summary>
    public static CancellationTokenSource Create(TimeSpan delay, TimeProvider time) =>
        time == TimeProvider.System ? new CancellationTokenSource(delay) : new CancellationTokenSource(delay, time);
}
