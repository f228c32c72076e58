using System.Globalization;
using System.Text;
using Godex.Core;
using Godex.Core.Metering;

namespace Godex.Server.Admin;

/// <summary>Usage totals as CSV (RFC 4180: quoted where needed), the dashboard's export.</summary>
internal static class UsageCsv
{
    public static string Write(IReadOnlyList<UsageTotals> totals, UsageGrouping by, Func<UsageTotals, string?> label)
    {
        var csv = new StringBuilder();
        csv.Append(by.ToString().ToLowerInvariant()).Append(",label,requests,input_tokens,output_tokens,cached_tokens,reasoning_tokens,total_tokens,cost_usd,last_seen\r\n");
        foreach (UsageTotals t in totals)
        {
            Field(csv, t.KeyId).Append(',');
            Field(csv, label(t) ?? "").Append(',');
            csv.Append(CultureInfo.InvariantCulture, $"{t.Requests},{t.InputTokens},{t.OutputTokens},{t.CachedTokens},{t.ReasoningTokens},{t.TotalTokens},{Money.Usd(t.CostMicros)},");
            csv.Append(t.LastSeen?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "").Append("\r\n");
        }

        return csv.ToString();
    }

    /// <summary>
    /// One field, quoted when it holds a comma, quote or line break, and with a leading <c>'</c> when it starts like a
    /// spreadsheet formula (a label is client-chosen text: CSV injection).
    /// </summary>
    private static StringBuilder Field(StringBuilder csv, string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? csv.Append(value) : csv.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
