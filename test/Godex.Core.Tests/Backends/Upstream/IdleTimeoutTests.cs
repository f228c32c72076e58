using Godex.Core.Backends.Upstream;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Backends.Upstream;

/// <summary>An upstream stream is cut after its idle timeout of silence, never before, and at most an eighth after.</summary>
public sealed class IdleTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(80);

    [Fact]
    public void Silence_FiresBetweenTheTimeoutAndAnEighthMore()
    {
        var time = new FakeTimeProvider();
        using var idle = new IdleTimeout(Timeout, time);
        idle.Touch();

        time.Advance(Timeout);
        Assert.False(idle.HasFired);
        time.Advance(Timeout / 8);
        Assert.True(idle.HasFired);
    }

    [Fact]
    public void ActivityMoreOftenThanTheTimeout_KeepsTheStreamAlive()
    {
        var time = new FakeTimeProvider();
        using var idle = new IdleTimeout(Timeout, time);
        for (int i = 0; i < 100; i++)
        {
            idle.Touch();
            time.Advance(TimeSpan.FromSeconds(7)); // under an eighth of the timeout: most touches do not re-arm
        }

        Assert.False(idle.HasFired);
        time.Advance(Timeout - TimeSpan.FromSeconds(7));
        Assert.False(idle.HasFired); // a full timeout since the last event has not passed yet
        time.Advance(Timeout / 4);
        Assert.True(idle.HasFired);
    }

    [Fact]
    public void TimeoutBeyondWhatATimerTakes_ArmsWithoutThrowing()
    {
        var time = new FakeTimeProvider();
        using var idle = new IdleTimeout(TimeSpan.FromDays(365), time);
        idle.Touch();

        time.Advance(TimeSpan.FromDays(30));
        Assert.False(idle.HasFired);
    }
}
