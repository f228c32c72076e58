using System.Net;
using Godex.Server.Dashboard;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Dashboard;

/// <summary>Failed dashboard logins per address: five a minute, then a wait until the minute ends; other addresses untouched.</summary>
public sealed class DashboardLoginThrottleTests
{
    private static readonly IPAddress s_attacker = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress s_operator = IPAddress.Parse("198.51.100.4");

    [Fact]
    public void FiveFailures_BlockThatAddress_UntilTheWindowEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var throttle = new DashboardLoginThrottle(time);
        for (int i = 0; i < DashboardLoginThrottle.MaxFailures - 1; i++)
        {
            throttle.Failed(s_attacker);
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Null(throttle.RetryAfter(s_attacker));
        throttle.Failed(s_attacker);
        // The window started at the first failure, 20 s ago.
        Assert.Equal(TimeSpan.FromSeconds(40), throttle.RetryAfter(s_attacker));
        Assert.Null(throttle.RetryAfter(s_operator));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("::ffff:198.51.100.4")));

        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Null(throttle.RetryAfter(s_attacker));
        // A new window: one failure is not a block.
        throttle.Failed(s_attacker);
        Assert.Null(throttle.RetryAfter(s_attacker));
    }

    [Fact]
    public void IPv4MappedAddresses_CountAsTheSameAddress()
    {
        var throttle = new DashboardLoginThrottle(new FakeTimeProvider());
        for (int i = 0; i < DashboardLoginThrottle.MaxFailures; i++)
        {
            throttle.Failed(i % 2 == 0 ? s_attacker : s_attacker.MapToIPv6());
        }

        Assert.NotNull(throttle.RetryAfter(s_attacker));
        Assert.NotNull(throttle.RetryAfter(s_attacker.MapToIPv6()));
    }

    [Fact]
    public void ASuccess_ForgetsThatAddressesFailures()
    {
        var throttle = new DashboardLoginThrottle(new FakeTimeProvider());
        for (int i = 0; i < DashboardLoginThrottle.MaxFailures - 1; i++)
        {
            throttle.Failed(s_operator);
        }

        throttle.Succeeded(s_operator);
        throttle.Failed(s_operator);
        Assert.Null(throttle.RetryAfter(s_operator));
    }

    [Fact]
    public void ManyAddresses_StayBounded()
    {
        var time = new FakeTimeProvider();
        var throttle = new DashboardLoginThrottle(time);
        for (int i = 0; i < DashboardLoginThrottle.MaxAddresses + 100; i++)
        {
            throttle.Failed(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)));
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        for (int i = 0; i < DashboardLoginThrottle.MaxFailures; i++)
        {
            throttle.Failed(s_attacker);
        }

        // The newest address is still tracked after the oldest were dropped.
        Assert.NotNull(throttle.RetryAfter(s_attacker));
    }
}
