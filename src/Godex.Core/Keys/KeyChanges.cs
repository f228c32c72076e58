namespace Godex.Core.Keys;

/// <summary>
/// The record-level meaning of each <see cref="IKeyStore"/> change, shared by the SQLite and PostgreSQL stores so
/// both apply exactly the same edit (each store only reads, writes and bumps its version around it).
/// </summary>
internal static class KeyChanges
{
    public static Func<ClientKey, ClientKey> Update(ClientKeyUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return key => key with
        {
            Label = update.Label ?? key.Label,
            Rate = update.Rate ?? key.Rate,
            Burst = update.Burst ?? key.Burst,
            QuotaTokens = update.QuotaTokens ?? key.QuotaTokens,
            MaxConcurrent = update.MaxConcurrent ?? key.MaxConcurrent,
            Models = update.Models ?? key.Models,
            ExpiresAt = update.ClearExpiry ? null : update.ExpiresAt ?? key.ExpiresAt,
            TokenAllowance = update.TokenAllowance ?? key.TokenAllowance,
            AllowanceDuration = update.AllowanceDuration ?? key.AllowanceDuration,
        };
    }

    public static Func<ClientKey, ClientKey> Revoke(DateTimeOffset now) => key => key with { RevokedAt = key.RevokedAt ?? now };

    public static Func<ClientKey, ClientKey> Rotate(string hash, DateTimeOffset now) => key => key with { Hash = hash, RotatedAt = now };

    public static Func<ClientKey, ClientKey> SetAllowance(long allowance, TimeSpan duration, DateTimeOffset now) => key => key with
    {
        TokenAllowance = allowance,
        AllowanceDuration = duration,
        TokenBalance = allowance,
        AllowanceWindowStart = now,
    };

    public static Func<ClientKey, ClientKey> AddTokens(long tokens) => key => key with { TokenBalance = key.TokenBalance + tokens };

    public static Func<ClientKey, ClientKey> ResetUsage(DateTimeOffset now) => key => key with { UsageResetAt = now };

    /// <summary>A new key's record (<see cref="IKeyStore.CreateAsync"/>).</summary>
    public static ClientKey New(NewClientKey key, string hash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new ClientKey
        {
            Id = KeySecrets.NewId(),
            Label = key.Label,
            Hash = hash,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = key.ExpiresAt,
            Rate = key.Rate,
            Burst = key.Burst,
            QuotaTokens = key.QuotaTokens,
            MaxConcurrent = key.MaxConcurrent,
            Models = key.Models,
        };
    }
}
