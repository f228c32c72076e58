using System.Text.Json;

namespace Godex.Core.Keys;

/// <summary>The JSON shape of a key in <c>keys list --json</c> and the admin API (never the hash or the secret).</summary>
public static class ClientKeyJson
{
    public static void Write(Utf8JsonWriter writer, ClientKey key, DateTimeOffset now, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(key);
        writer.WriteStartObject();
        writer.WriteString("key_id"u8, key.Id);
        writer.WriteString("label"u8, key.Label);
        if (secret is not null)
        {
            writer.WriteString("api_key"u8, secret);
        }

        writer.WriteString("status"u8, Status(key, now));
        writer.WriteString("created_at"u8, key.CreatedAt);
        Time(writer, "revoked_at"u8, key.RevokedAt);
        Time(writer, "expires_at"u8, key.ExpiresAt);
        Time(writer, "rotated_at"u8, key.RotatedAt);
        if (key.Rate is null)
        {
            writer.WriteNull("rate"u8);
        }
        else
        {
            writer.WriteString("rate"u8, key.Rate);
        }

        if (key.Burst is { } burst)
        {
            writer.WriteNumber("burst"u8, burst);
        }
        else
        {
            writer.WriteNull("burst"u8);
        }

        writer.WriteNumber("quota_tokens"u8, key.QuotaTokens);
        writer.WriteNumber("max_concurrent"u8, key.MaxConcurrent);
        writer.WriteStartArray("models"u8);
        foreach (string model in key.Models)
        {
            writer.WriteStringValue(model);
        }

        writer.WriteEndArray();
        writer.WriteNumber("token_allowance"u8, key.TokenAllowance);
        writer.WriteString("allowance_duration"u8, ((long)key.AllowanceDuration.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "s");
        writer.WriteNumber("token_balance"u8, key.TokenBalance);
        Time(writer, "usage_reset_at"u8, key.UsageResetAt);
        if (key.BudgetMicros > 0)
        {
            writer.WriteString("budget_usd"u8, Money.Usd(key.BudgetMicros));
            writer.WriteString("budget_window"u8, key.BudgetWindow > TimeSpan.Zero ? Durations.Format(key.BudgetWindow) : null);
        }

        writer.WriteEndObject();
    }

    /// <summary><c>active</c>, <c>revoked</c> or <c>expired</c>.</summary>
    public static string Status(ClientKey key, DateTimeOffset now) =>
        key.IsRevoked ? "revoked" : key.IsExpired(now) ? "expired" : "active";

    private static void Time(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.WriteString(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
