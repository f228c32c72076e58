namespace Godex.Core.Configuration;

/// <summary>
/// The <c>proxy.pool:</c> section: how a backend with several accounts picks one, and how long an account that failed
/// is left alone (docs/proxy.md, "Accounts and pools").
/// </summary>
public sealed class PoolOptions
{
    /// <summary><c>round-robin</c>, <c>fill-first</c> or <c>least-used</c>. <value>The default value is <c>round-robin</c>.</value></summary>
    public string Strategy { get; set; } = "round-robin";

    /// <summary>How long a conversation stays bound to its account after its last request. <value>The default value is 1 h.</value></summary>
    public TimeSpan AffinityTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most accounts one request is tried on before the client gets the error. <value>The default value is 3.</value></summary>
    public int MaxFailover { get; set; } = 3;

    /// <summary>
    /// An account whose reported usage (either window) is at or above this percentage gets no new conversation while
    /// another account is below it. <value>The default value is 90.</value>
    /// </summary>
    public double QuotaThreshold { get; set; } = 90;

    /// <summary>Cooldown after a 5xx, an overload or a connection failure. <value>The default value is 30 s.</value></summary>
    public TimeSpan TransientCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cooldown after a 429 that names no reset time. <value>The default value is 60 s.</value></summary>
    public TimeSpan RateLimitCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an account whose login was rejected (after a refresh) or is missing is suspended. <value>The default value is 30 min.</value></summary>
    public TimeSpan LoginSuspend { get; set; } = TimeSpan.FromMinutes(30);
}
