using System.Globalization;
using System.Net.Http.Headers;
using Godex.Core.Storage;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// The usage an upstream reports on every response, read from its headers:
/// <list type="bullet">
/// <item>Codex: <c>x-codex-primary-used-percent</c>, <c>-window-minutes</c>, <c>-reset-after-seconds</c> or <c>-reset-at</c>
/// (Unix seconds), and the same for <c>x-codex-secondary-*</c> (the 5 h and weekly windows; gateways.md §2.2).</item>
/// <item>Anthropic (subscriptions): <c>anthropic-ratelimit-unified-status</c> (<c>allowed</c>, <c>allowed_warning</c>,
/// <c>rejected</c>), <c>-reset</c> (Unix seconds), and per window <c>-5h-utilization</c>/<c>-7d-utilization</c> (a
/// fraction, 0.42 = 42 %), <c>-5h-reset</c>, <c>-7d-reset</c>, <c>-5h-status</c>, <c>-7d-status</c>.</item>
/// </list>
/// </summary>
public readonly record struct UsageReading(UsageWindow? Primary, UsageWindow? Secondary, DateTimeOffset? RejectedUntil)
{
    /// <summary>Nothing reported.</summary>
    public bool IsEmpty => Primary is null && Secondary is null && RejectedUntil is null;

    /// <summary>Reads what <paramref name="headers"/> say; empty when they carry no usage headers.</summary>
    public static UsageReading Read(HttpResponseHeaders? headers, DateTimeOffset now)
    {
        if (headers is null)
        {
            return default;
        }

        UsageWindow? primary = CodexWindow(headers, s_primary, now);
        UsageWindow? secondary = CodexWindow(headers, s_secondary, now);
        DateTimeOffset? rejected = null;
        if (primary is null && secondary is null && headers.Contains("anthropic-ratelimit-unified-status"))
        {
            primary = UnifiedWindow(headers, "5h", 300);
            secondary = UnifiedWindow(headers, "7d", 7 * 24 * 60);
            if (IsRejected(Get(headers, "anthropic-ratelimit-unified-status")))
            {
                rejected = UnixSeconds(Get(headers, "anthropic-ratelimit-unified-reset"))
                    ?? Latest(Rejected(headers, "5h", primary), Rejected(headers, "7d", secondary));
            }
            else
            {
                rejected = Latest(Rejected(headers, "5h", primary), Rejected(headers, "7d", secondary));
            }
        }

        return new UsageReading(primary, secondary, rejected);
    }

    // The names whole, not built per response: every answer of every provider is read for them.
    private static readonly CodexWindowNames s_primary = new("x-codex-primary-");
    private static readonly CodexWindowNames s_secondary = new("x-codex-secondary-");

    private static UsageWindow? CodexWindow(HttpResponseHeaders headers, CodexWindowNames names, DateTimeOffset now)
    {
        if (Number(Get(headers, names.UsedPercent)) is not double used)
        {
            return null;
        }

        int? minutes = Number(Get(headers, names.WindowMinutes)) is double m ? (int)m : null;
        DateTimeOffset? reset = UnixSeconds(Get(headers, names.ResetAt))
            ?? (Number(Get(headers, names.ResetAfterSeconds)) is double after ? now.AddSeconds(after) : null);
        return new UsageWindow(used, minutes, reset);
    }

    private sealed class CodexWindowNames(string prefix)
    {
        public string UsedPercent { get; } = prefix + "used-percent";

        public string WindowMinutes { get; } = prefix + "window-minutes";

        public string ResetAt { get; } = prefix + "reset-at";

        public string ResetAfterSeconds { get; } = prefix + "reset-after-seconds";
    }

    private static UsageWindow? UnifiedWindow(HttpResponseHeaders headers, string window, int minutes)
    {
        string prefix = "anthropic-ratelimit-unified-" + window + "-";
        if (Number(Get(headers, prefix + "utilization")) is not double fraction)
        {
            return null;
        }

        return new UsageWindow(Math.Round(fraction * 100, 2), minutes, UnixSeconds(Get(headers, prefix + "reset")));
    }

    private static DateTimeOffset? Rejected(HttpResponseHeaders headers, string window, UsageWindow? reported) =>
        IsRejected(Get(headers, "anthropic-ratelimit-unified-" + window + "-status")) ? reported?.ResetsAt ?? UnixSeconds(Get(headers, "anthropic-ratelimit-unified-" + window + "-reset")) : null;

    private static bool IsRejected(string? status) => string.Equals(status, "rejected", StringComparison.OrdinalIgnoreCase);

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Get(HttpResponseHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out HeaderStringValues values) ? values.ToString() : null;

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;

    private static DateTimeOffset? UnixSeconds(string? text)
    {
        if (Number(text) is not double seconds || seconds <= 0 || seconds > 32503680000)
        {
            return null;
        }

        return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
    }
}
