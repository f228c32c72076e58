using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Tests.Backends.Pools;

/// <summary>The pool's choices without an upstream: strategies, the failover bit set, and the bound on bindings.</summary>
public sealed class AccountPoolTests
{
    private static AccountPool Create(PoolStrategy strategy) =>
        new("codex", ["a", "b", "c"], strategy, new PoolOptions(), TimeProvider.System, null, null, NullLogger.Instance);

    [Fact]
    public void RoundRobin_NewConversationsTakeTurns_ABoundOneKeepsItsAccount()
    {
        using AccountPool pool = Create(PoolStrategy.RoundRobin);

        Assert.Equal(["a", "b", "c", "a"], Enumerable.Range(0, 4).Select(i => pool.Choose("s:" + i)!.Name));
        Assert.Equal("b", pool.Choose("s:1")!.Name);
        Assert.Equal(4, pool.BoundConversations);
    }

    [Fact]
    public void FillFirst_AlwaysTheFirstThatCanServe_TriedAccountsAreSkipped()
    {
        using AccountPool pool = Create(PoolStrategy.FillFirst);

        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal("a", pool.Choose("s:" + i)!.Name));
        Assert.Equal("b", pool.Choose("s:new", tried: 1UL << 0)!.Name);
        Assert.Null(pool.Choose("s:other", tried: 0b111));
        Assert.True(pool.HasUntried(0b011));
        Assert.False(pool.HasUntried(0b111));
    }

    [Fact]
    public void Affinity_HoldsAtMostMaxEntries()
    {
        var affinity = new SessionAffinity(TimeSpan.FromHours(1));
        for (int i = 0; i <= SessionAffinity.MaxEntries + 10; i++)
        {
            affinity.Bind("s:" + i, i % 3, 1_000 + i);
        }

        Assert.InRange(affinity.Count, 1, SessionAffinity.MaxEntries);
        Assert.True(affinity.TryGet("s:" + (SessionAffinity.MaxEntries + 10), 2_000_000, out int index));
        Assert.Equal((SessionAffinity.MaxEntries + 10) % 3, index);
    }
}
