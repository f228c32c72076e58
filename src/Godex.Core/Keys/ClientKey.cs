namespace Godex.Core.Keys;

/// <summary>
/// One client key as stored. The secret itself is never stored: <see cref="Hash"/> is
/// <c>hmac-sha256:&lt;hex&gt;</c> keyed with the database's secret (or <c>sha256:&lt;hex&gt;</c> for keys imported
/// from the original godex). Null limits fall back to the proxy defaults (<c>proxy.default_rate</c>, <c>default_burst</c>).
/// </summary>
public sealed record ClientKey
{
    public required string Id { get; init; }
    public required string Label { get; init; }
    public required string Hash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RotatedAt { get; init; }

    /// <summary><c>N/s|m|h</c>; null means <c>proxy.default_rate</c>.</summary>
    public string? Rate { get; init; }

    /// <summary>Bucket capacity; null means <c>proxy.default_burst</c>.</summary>
    public int? Burst { get; init; }

    /// <summary>Tokens allowed per <c>proxy.meter_window</c>; 0 = unlimited.</summary>
    public long QuotaTokens { get; init; }

    /// <summary>Requests in flight at once; 0 = unlimited.</summary>
    public int MaxConcurrent { get; init; }

    /// <summary>Model patterns (<c>*</c> wildcard, case-insensitive); empty = every model.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Tokens granted per <see cref="AllowanceDuration"/> (the balance is topped up to it); 0 = no allowance.</summary>
    public long TokenAllowance { get; init; }

    public TimeSpan AllowanceDuration { get; init; }

    public DateTimeOffset? AllowanceWindowStart { get; init; }

    /// <summary>Remaining tokens when <see cref="TokenAllowance"/> &gt; 0 (as of the last ledger flush).</summary>
    public long TokenBalance { get; init; }

    /// <summary>Usage before this instant no longer counts (<c>godex proxy usage reset</c>).</summary>
    public DateTimeOffset? UsageResetAt { get; init; }

    /// <summary>Spend allowed per <see cref="BudgetWindow"/>, in micro-dollars at list price; 0 = no budget.</summary>
    public long BudgetMicros { get; init; }

    /// <summary>Length of a budget window, aligned to the Unix epoch (UTC); zero means <c>proxy.meter_window</c>.</summary>
    public TimeSpan BudgetWindow { get; init; }

    public bool IsRevoked => RevokedAt is not null;

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;

    /// <summary>Whether <paramref name="model"/> matches the allow-list.</summary>
    public bool AllowsModel(string model)
    {
        if (Models.Count == 0)
        {
            return true;
        }

        foreach (string pattern in Models)
        {
            if (ModelPattern.Matches(pattern, model))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A new key's settings (<c>keys add</c>).</summary>
public sealed record NewClientKey
{
    public required string Label { get; init; }

    /// <summary>Bring-your-own secret; null generates one.</summary>
    public string? Secret { get; init; }

    public string? Rate { get; init; }
    public int? Burst { get; init; }
    public long QuotaTokens { get; init; }
    public int MaxConcurrent { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Spend cap per <see cref="BudgetWindow"/> in micro-dollars; 0 = none.</summary>
    public long BudgetMicros { get; init; }

    public TimeSpan BudgetWindow { get; init; }
}

/// <summary>
/// A partial change (<c>keys update</c>, admin API): only the properties that are set change. This is the fix for the
/// original's update bug (§10 item 7), which reset unspecified fields to defaults.
/// </summary>
public sealed record ClientKeyUpdate
{
    public string? Label { get; init; }
    public string? Rate { get; init; }
    public int? Burst { get; init; }
    public long? QuotaTokens { get; init; }
    public int? MaxConcurrent { get; init; }
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Set an expiry; <see cref="ClearExpiry"/> removes it.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool ClearExpiry { get; init; }
    public long? TokenAllowance { get; init; }
    public TimeSpan? AllowanceDuration { get; init; }
    public long? BudgetMicros { get; init; }
    public TimeSpan? BudgetWindow { get; init; }

    public bool IsEmpty => this == new ClientKeyUpdate();
}

/// <summary>A created or rotated key: the record and its secret, which is shown once and never stored.</summary>
public sealed record IssuedClientKey(ClientKey Key, string Secret);

/// <summary>Model allow-list patterns: <c>*</c> matches any run of characters; case-insensitive.</summary>
public static class ModelPattern
{
    public static bool Matches(string pattern, string model)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(model);
        return Match(pattern.AsSpan(), model.AsSpan());
    }

    private static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.Equals(text, StringComparison.OrdinalIgnoreCase);
        }

        if (!text.StartsWith(pattern[..star], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        ReadOnlySpan<char> rest = pattern[(star + 1)..];
        text = text[star..];
        for (int i = 0; i <= text.Length; i++)
        {
            if (Match(rest, text[i..]))
            {
                return true;
            }
        }

        return false;
    }
}
