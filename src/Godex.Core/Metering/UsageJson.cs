using System.Text.Json;

namespace Godex.Core.Metering;

/// <summary>The JSON shapes of usage in <c>usage ... --json</c> and the admin API.</summary>
public static class UsageJson
{
    public static void Write(Utf8JsonWriter writer, UsageTotals totals, string? label, UsageGrouping by = UsageGrouping.Key)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(totals);
        writer.WriteStartObject();
        writer.WriteString(by switch
        {
            UsageGrouping.Model => "model"u8,
            UsageGrouping.Day => "day"u8,
            UsageGrouping.Account => "account"u8,
            _ => "key_id"u8,
        }, totals.KeyId);
        if (label is not null)
        {
            writer.WriteString("label"u8, label);
        }

        writer.WriteNumber("requests"u8, totals.Requests);
        writer.WriteNumber("input_tokens"u8, totals.InputTokens);
        writer.WriteNumber("output_tokens"u8, totals.OutputTokens);
        writer.WriteNumber("cached_tokens"u8, totals.CachedTokens);
        writer.WriteNumber("reasoning_tokens"u8, totals.ReasoningTokens);
        writer.WriteNumber("total_tokens"u8, totals.TotalTokens);
        writer.WriteNumber("cost_micros"u8, totals.CostMicros);
        writer.WriteString("cost_usd"u8, Money.Usd(totals.CostMicros));
        if (totals.LastSeen is { } lastSeen)
        {
            writer.WriteString("last_seen"u8, lastSeen);
        }

        writer.WriteEndObject();
    }
}
