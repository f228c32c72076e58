using Godex.Core.Keys;
using Godex.Core.Limits;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Limits;

public sealed class KeyLimiterTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 6, 0, 0, TimeSpan.Zero);

    private static ClientKey Key(string? rate = null, int? burst = null, long quota = 0, int concurrent = 0) =>
        new() { Id = "key_test", Label = "t", Hash = "x", Rate = rate, Burst = burst, QuotaTokens = quota, MaxConcurrent = concurrent };

    [Fact]
    public void Bucket_CapacityIsExactlyTheBurst_NotTheRate()
    {
        var time = new FakeTimeProvider(s_start);
        var limiter = new KeyLimiter(time, new LimitDefaults(null, 10, TimeSpan.FromDays(1)));
        ClientKey key = Key("60/m", 3);

        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire(key).IsAllowed));

        LimitDecision refused = limiter.TryAcquire(key);
        Assert.Equal(LimitVerdict.Rate, refused.Verdict);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(key).IsAllowed);
    }

    [Fact]
    public void LimitChange_AppliesOnNextRequest()
    {
        var time = new FakeTimeProvider(s_start);
        var limiter = new KeyLimiter(time, new LimitDefaults(null, 10, TimeSpan.FromDays(1)));
        Assert.True(limiter.TryAcquire(Key("1/h", 1)).IsAllowed);
        Assert.False(limiter.TryAcquire(Key("1/h", 1)).IsAllowed);

        Assert.True(limiter.TryAcquire(Key("1/h", 3)).IsAllowed); // burst raised: capacity grows, tokens are kept
        Assert.True(limiter.TryAcquire(Key(null, null)).IsAllowed); // no rate and no default: unlimited
    }

    [Fact]
    public void Concurrency_RefusesUntilReleased()
    {
        var limiter = new KeyLimiter(new FakeTimeProvider(s_start), new LimitDefaults(null, 10, TimeSpan.FromDays(1)));
        ClientKey key = Key(concurrent: 2);
        Assert.True(limiter.TryAcquire(key).IsAllowed);
        Assert.True(limiter.TryAcquire(key).IsAllowed);
        Assert.Equal(LimitVerdict.Concurrency, limiter.TryAcquire(key).Verdict);

        limiter.Release(key.Id);
        Assert.True(limiter.TryAcquire(key).IsAllowed);
    }

    [Fact]
    public void Quota_SeededFromLedger_CountsUsage_ResetsWithWindowAndManualReset()
    {
        var time = new FakeTimeProvider(s_start);
        var limiter = new KeyLimiter(time, new LimitDefaults(null, 10, TimeSpan.FromDays(1)), (_, since) => since == new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) ? 900 : -1);
        ClientKey key = Key(quota: 1000);

        LimitDecision first = limiter.TryAcquire(key);
        Assert.Equal(100, first.TokensRemaining);
        limiter.AddUsage(key.Id, time.GetUtcNow(), 150);
        LimitDecision refused = limiter.TryAcquire(key);
        Assert.Equal(LimitVerdict.Quota, refused.Verdict);
        Assert.Equal(TimeSpan.FromHours(18), refused.RetryAfter);

        Assert.True(limiter.TryAcquire(key with { UsageResetAt = time.GetUtcNow() }).IsAllowed);
        limiter.AddUsage(key.Id, time.GetUtcNow(), 1000);
        time.Advance(TimeSpan.FromHours(18));
        Assert.True(limiter.TryAcquire(key with { UsageResetAt = s_start }).IsAllowed);
    }

    [Theory]
    [InlineData("60/m", 60, 60)]
    [InlineData("5/s", 5, 1)]
    [InlineData("100/hours", 100, 3600)]
    public void RateSpec_Parses(string text, int requests, int seconds)
    {
        RateSpec rate = RateSpec.Parse(text);
        Assert.Equal(requests, rate.Requests);
        Assert.Equal(TimeSpan.FromSeconds(seconds), rate.Per);
    }

    [Theory]
    [InlineData("")]
    [InlineData("60")]
    [InlineData("0/m")]
    [InlineData("60/d")]
    [InlineData("x/m")]
    public void RateSpec_Invalid_IsAnError(string text) => Assert.False(RateSpec.TryParse(text, out _, out _));

    [Theory]
    [InlineData("gpt-*", "gpt-5.2-codex", true)]
    [InlineData("gpt-*", "claude-sonnet-4-5", false)]
    [InlineData("*sonnet*", "claude-sonnet-4-5", true)]
    [InlineData("claude-haiku-4-5", "CLAUDE-HAIKU-4-5", true)]
    public void ModelPattern_Matches(string pattern, string model, bool expected) => Assert.Equal(expected, ModelPattern.Matches(pattern, model));
}
