using Godex.Core.Backends.Upstream;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Backends.Upstream;

/// <summary>
/// One exchange's clock: headers within the connect timeout, a body cut after its idle timeout of silence (never
/// before, at most an eighth after), nothing past the total deadline, and the wait that fired named.
/// </summary>
public sealed class ExchangeTimerTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(80);

    [Fact]
    public void Silence_FiresBetweenTheTimeoutAndAnEighthMore()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(null, time, CancellationToken.None);
        timer.WaitForBody(Idle);

        time.Advance(Idle);
        Assert.False(timer.Token.IsCancellationRequested);
        time.Advance(Idle / 8);
        Assert.True(timer.Token.IsCancellationRequested);
        Assert.Equal(ExchangeTimer.Wait.Idle, timer.Expired);
    }

    [Fact]
    public void ActivityMoreOftenThanTheTimeout_KeepsTheStreamAlive()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(null, time, CancellationToken.None);
        timer.WaitForBody(Idle);
        for (int i = 0; i < 100; i++)
        {
            timer.Touch();
            time.Advance(TimeSpan.FromSeconds(7)); // under an eighth of the timeout: most touches do not re-arm
        }

        Assert.False(timer.Token.IsCancellationRequested);
        time.Advance(Idle - TimeSpan.FromSeconds(7));
        Assert.False(timer.Token.IsCancellationRequested); // a full timeout since the last event has not passed yet
        time.Advance(Idle / 4);
        Assert.Equal(ExchangeTimer.Wait.Idle, timer.Expired);
    }

    [Fact]
    public void TimeoutBeyondWhatATimerTakes_ArmsWithoutThrowing()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(null, time, CancellationToken.None);
        timer.WaitForBody(TimeSpan.FromDays(365));

        time.Advance(TimeSpan.FromDays(30));
        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
    }

    [Fact]
    public void Headers_FireAfterTheConnectTimeout_AndEachAttemptGetsItsOwn()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(null, time, CancellationToken.None);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(9));
        timer.WaitForHeaders(TimeSpan.FromSeconds(10)); // a second attempt

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ExchangeTimer.Wait.Headers, timer.Expired);
    }

    [Fact]
    public void TheDeadline_BoundsEveryWait_AndIsNamedWhenItFires()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(TimeSpan.FromSeconds(30), time, CancellationToken.None);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(5));
        timer.WaitForBody(Idle);
        for (int i = 0; i < 24; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            timer.Touch(); // an answer that keeps coming, for longer than the deadline
        }

        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ExchangeTimer.Wait.Total, timer.Expired);
    }

    [Fact]
    public void Pause_StopsTheHeadersWait_ButNotTheDeadline()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(TimeSpan.FromSeconds(60), time, CancellationToken.None);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(5));
        timer.Pause(); // a 429's Retry-After of 20 s

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(ExchangeTimer.Wait.Headers, timer.Expired);
    }

    [Fact]
    public void Pause_UnderADeadline_StillEndsAtTheDeadline()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(TimeSpan.FromSeconds(30), time, CancellationToken.None);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        timer.Pause();

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ExchangeTimer.Wait.Total, timer.Expired);
    }

    [Fact]
    public void WhatFiredFirst_StaysTheAnswer()
    {
        var time = new FakeTimeProvider();
        using var timer = new ExchangeTimer(null, time, CancellationToken.None);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));

        timer.WaitForBody(Idle);
        Assert.Equal(ExchangeTimer.Wait.Headers, timer.Expired);
    }

    [Fact]
    public void TheClientLeaving_CancelsTheToken_ButIsNoTimeout()
    {
        using var client = new CancellationTokenSource();
        using var timer = new ExchangeTimer(TimeSpan.FromSeconds(30), new FakeTimeProvider(), client.Token);
        timer.WaitForHeaders(TimeSpan.FromSeconds(10));

        client.Cancel();
        Assert.True(timer.Token.IsCancellationRequested);
        Assert.Equal(ExchangeTimer.Wait.None, timer.Expired);
    }
}
