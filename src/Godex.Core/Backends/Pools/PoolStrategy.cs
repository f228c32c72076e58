namespace Godex.Core.Backends.Pools;

/// <summary>How a pool picks an account for a new conversation (a bound conversation keeps its account).</summary>
public enum PoolStrategy
{
    /// <summary>Each new conversation on the next account in turn.</summary>
    RoundRobin,

    /// <summary>The first account in config order that can serve; the next only when it cannot.</summary>
    FillFirst,

    /// <summary>The account whose upstream-reported usage is lowest.</summary>
    LeastUsed,
}

/// <summary>Config names of <see cref="PoolStrategy"/>.</summary>
public static class PoolStrategies
{
    /// <summary>Parses <c>round-robin</c>, <c>fill-first</c>, <c>least-used</c> (the config loader has already checked the name).</summary>
    public static PoolStrategy Parse(string? name) => name switch
    {
        "fill-first" => PoolStrategy.FillFirst,
        "least-used" => PoolStrategy.LeastUsed,
        _ => PoolStrategy.RoundRobin,
    };

    public static string Name(PoolStrategy strategy) => strategy switch
    {
        PoolStrategy.FillFirst => "fill-first",
        PoolStrategy.LeastUsed => "least-used",
        _ => "round-robin",
    };
}
