namespace Godex.Core.Backends.Upstream;

/// <summary>
/// The clock of one upstream exchange: one cancellation source, linked once to the client's request, whose one timer is
/// re-armed for each wait — the response headers of each attempt (<c>connect_timeout</c>), then the body
/// (<c>idle_timeout</c>, counted from the last whole event) — and never past the total deadline
/// (<c>total_timeout</c>, when the client does not stream). <see cref="Expired"/> says which of them fired.
/// </summary>
/// <remarks>
/// One source and one timer instead of one per wait: a cancellation source with a timer, and every source linked to
/// another, cost a trip through the runtime's timer-queue lock or a registration each; bench (d) had five of them per
/// request. The idle wait is re-armed only once an eighth of it has passed since it was last armed, and armed for nine
/// eighths of it (each re-arm takes the timer-queue lock and may wake its thread): a stream is never cut before
/// <c>idle_timeout</c> of silence, and at most an eighth after.
/// </remarks>
internal sealed class ExchangeTimer : IDisposable
{
    // The longest delay a timer takes (~49.7 days); a longer wait is as good as none.
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly CancellationTokenSource _source;
    private readonly TimeProvider _time;
    private readonly ITimer? _timer; // a clock other than the system's (tests): its own timer cancels the source
    private readonly long _startedAt;
    private readonly TimeSpan? _total;
    private readonly CancellationToken _request;
    private Wait _wait;
    private bool _boundByDeadline;
    private TimeSpan _idle;
    private long _idleArmedAt;
    private bool _idleArmed;

    public ExchangeTimer(TimeSpan? total, TimeProvider time, CancellationToken request)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _total = total;
        _request = request;
        _source = request.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(request) : new CancellationTokenSource();
        if (time != TimeProvider.System)
        {
            CancellationTokenSource source = _source;
            _timer = time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), source, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        _startedAt = Now(); // after _timer: it says which clock Now reads
    }

    /// <summary>What a timed-out exchange waited for.</summary>
    public enum Wait
    {
        /// <summary>Nothing has fired.</summary>
        None,

        /// <summary>The response headers (or a refusal's body), past <c>connect_timeout</c>.</summary>
        Headers,

        /// <summary>The next whole event, past <c>idle_timeout</c>.</summary>
        Idle,

        /// <summary>The whole answer, past <c>total_timeout</c>.</summary>
        Total,
    }

    /// <summary>Cancelled when the client goes away or a wait times out.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The wait that timed out; <see cref="Wait.None"/> while none has, and when the client went away.</summary>
    public Wait Expired =>
        !_source.IsCancellationRequested || _request.IsCancellationRequested ? Wait.None
        : _boundByDeadline ? Wait.Total
        : _wait;

    /// <summary>Starts a wait for response headers (or a refusal's body) of at most <paramref name="timeout"/>.</summary>
    public void WaitForHeaders(TimeSpan timeout)
    {
        if (_source.IsCancellationRequested)
        {
            return; // what fired stays the answer
        }

        _wait = Wait.Headers;
        _idleArmed = false;
        Arm(timeout);
    }

    /// <summary>Starts the body's idle wait of <paramref name="idle"/>; <see cref="Touch"/> whenever an event arrives.</summary>
    public void WaitForBody(TimeSpan idle)
    {
        if (_source.IsCancellationRequested)
        {
            return;
        }

        _wait = Wait.Idle;
        _idle = idle;
        _idleArmed = false;
        Touch();
    }

    /// <summary>
    /// Stops the current wait (only the deadline still runs): before the send path waits on its own — a retry's
    /// back-off, a login refresh — so the last attempt's headers wait cannot fire in between.
    /// </summary>
    public void Pause()
    {
        _idleArmed = false;
        Arm(Timeout.InfiniteTimeSpan);
    }

    /// <summary>Something arrived (or a read is about to start): the body's silence counts from now.</summary>
    public void Touch()
    {
        long now = Now();
        TimeSpan rearmAfter = _idle / 8;
        if (_idleArmed && Elapsed(_idleArmedAt, now) < rearmAfter)
        {
            return;
        }

        _idleArmed = true;
        _idleArmedAt = now;
        Arm(_idle + rearmAfter, now);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }

    // The system clock is read as its coarse tick (Environment.TickCount64: CLOCK_MONOTONIC_COARSE, a few ms), not the
    // precise one: Touch reads it for every event of every stream, where a precise read cost ~0.5 % of a passthrough's
    // CPU (issue 21), and a timeout of seconds does not care for a few ms. Another clock (tests) is read as it is.
    private long Now() => _timer is null ? Environment.TickCount64 : _time.GetTimestamp();

    private TimeSpan Elapsed(long from, long to) => _timer is null ? TimeSpan.FromMilliseconds(to - from) : _time.GetElapsedTime(from, to);

    private void Arm(TimeSpan delay) => Arm(delay, Now());

    private void Arm(TimeSpan delay, long now)
    {
        if (_source.IsCancellationRequested)
        {
            return; // fired already: what fired stays the answer
        }

        _boundByDeadline = false;
        if (delay == Timeout.InfiniteTimeSpan)
        {
            delay = s_maxDelay;
        }

        if (_total is { } total)
        {
            TimeSpan left = total - Elapsed(_startedAt, now);
            if (left <= delay)
            {
                delay = left > TimeSpan.Zero ? left : TimeSpan.Zero;
                _boundByDeadline = true;
            }
        }

        if (delay > s_maxDelay)
        {
            delay = s_maxDelay;
        }

        if (_timer is null)
        {
            _source.CancelAfter(delay);
        }
        else
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }
}
