using System.Globalization;
using System.Text.Json;

namespace Godex.Core.Keys;

/// <summary>
/// Reads the original godex's key file (<c>~/.codex/proxy-keys.json</c>:
/// <c>{"version":1,"keys":[{"id","label","hash":"sha256:…","created_at","revoked_at","expires_at","rate","burst",
/// "quota_tokens","token_balance","token_allowance","allowance_duration_sec","allowance_window_start"}]}</c>).
/// Hashes carry over (<c>sha256:</c> keys keep working with their old secrets); records the original would have
/// pruned (expired) are imported too, as expired.
/// </summary>
public static class LegacyKeyFile
{
    public static IReadOnlyList<ClientKey> Parse(string json, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
        if (!document.RootElement.TryGetProperty("keys", out JsonElement keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("not a godex key file: no \"keys\" array");
        }

        DateTimeOffset now = time.GetUtcNow();
        var result = new List<ClientKey>();
        int index = 0;
        foreach (JsonElement item in keys.EnumerateArray())
        {
            string where = $"keys[{index++}]";
            string id = String(item, "id") ?? throw new FormatException($"{where}: no id");
            string hash = String(item, "hash") ?? throw new FormatException($"{where}: no hash");
            if (!hash.StartsWith(KeySecrets.LegacyPrefix, StringComparison.Ordinal) || hash.Length != KeySecrets.LegacyPrefix.Length + 64)
            {
                throw new FormatException($"{where}: hash is not sha256:<64 hex>");
            }

            string? rate = String(item, "rate");
            if (rate is not null && !RateSpec.TryParse(rate, out _, out _))
            {
                rate = null; // the original treated an invalid rate as "no limit"; here it falls back to the default
            }

            long allowanceSeconds = Long(item, "allowance_duration_sec");
            int burst = (int)Long(item, "burst");
            result.Add(new ClientKey
            {
                Id = id,
                Label = String(item, "label") ?? "",
                Hash = hash.ToLowerInvariant(),
                CreatedAt = Time(item, "created_at") ?? now,
                UpdatedAt = now,
                RevokedAt = Time(item, "revoked_at"),
                ExpiresAt = Time(item, "expires_at"),
                Rate = string.IsNullOrWhiteSpace(rate) ? null : rate,
                Burst = burst > 0 ? burst : null,
                QuotaTokens = Long(item, "quota_tokens"),
                TokenAllowance = Long(item, "token_allowance"),
                AllowanceDuration = TimeSpan.FromSeconds(allowanceSeconds),
                AllowanceWindowStart = Time(item, "allowance_window_start"),
                TokenBalance = Long(item, "token_balance"),
            });
        }

        return result;
    }

    private static string? String(JsonElement item, string name) =>
        item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static long Long(JsonElement item, string name) =>
        item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : 0;

    private static DateTimeOffset? Time(JsonElement item, string name) =>
        String(item, name) is { } text && !text.StartsWith("0001-01-01", StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed)
            ? parsed.ToUniversalTime()
            : null;
}
