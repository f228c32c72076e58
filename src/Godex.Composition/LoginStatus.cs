namespace Godex.Composition;

/// <summary>One login file (or API key) as the status screens show it: never a token.</summary>
internal sealed record LoginStatus(string Backend, bool Configured, string Path, string? Mode, DateTimeOffset? ExpiresAt, string? Plan, bool CanRefresh, string? Problem)
{
    /// <summary>When the access token was issued (its JWT <c>iat</c>), where the login says so.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    public bool Expired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;

    /// <summary><c>not configured</c>, <c>expired</c> or <c>configured</c>.</summary>
    public string State(DateTimeOffset now) => !Configured ? "not configured" : Expired(now) ? "expired" : "configured";
}
