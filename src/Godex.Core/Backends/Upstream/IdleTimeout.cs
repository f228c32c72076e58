namespace Godex.Core.Backends.Upstream;

/// <summary>
/// The idle timeout of one upstream stream: <see cref="Token"/> fires once nothing has arrived for
/// <see cref="Timeout"/>. Call <see cref="Touch"/> whenever something arrives.
/// </summary>
/// <remarks>
/// Re-arming a <see cref="CancellationTokenSource"/> on every event takes the runtime's timer-queue lock and often
/// wakes its timer thread: in bench (a) that was ~8 % of the proxy's CPU (lock waits and wake-ups) for nine re-arms
/// per request. So the timer is re-armed only once an eighth of the timeout has passed since it was last armed, and
/// armed for nine eighths of it: a stream is never cut before <see cref="Timeout"/> of silence, and at most an eighth
/// after.
/// </remarks>
internal sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly TimeProvider _time;
    private readonly TimeSpan _rearmAfter;
    private long _armedAt;
    private bool _armed;

    public IdleTimeout(TimeSpan timeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Timeout = timeout;
        _time = time;
        _rearmAfter = timeout / 8;
        _source = TimeoutSources.Create(System.Threading.Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>The silence after which the stream is cut.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled when the stream has been silent for the timeout.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True once the timeout has fired.</summary>
    public bool HasFired => _source.IsCancellationRequested;

    /// <summary>Something arrived (or a read is about to start): the silence starts counting from now.</summary>
    public void Touch()
    {
        long now = _time.GetTimestamp();
        if (_armed && _time.GetElapsedTime(_armedAt, now) < _rearmAfter)
        {
            return;
        }

        _armed = true;
        _armedAt = now;
        TimeSpan delay = Timeout + _rearmAfter;
        _source.CancelAfter(delay < MaxDelay ? delay : MaxDelay);
    }

    // The longest delay a timer takes (~49.7 days); a longer idle timeout is as good as none.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public void Dispose() => _source.Dispose();
}
