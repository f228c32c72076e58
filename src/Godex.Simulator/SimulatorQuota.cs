using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>One request counted against an account's quota: whether it may run, and the usage to report.</summary>
internal sealed record SimulatorQuota(bool Allowed, double UsedPercent, DateTimeOffset ResetsAt, TimeSpan Window, DateTimeOffset Now)
{
    public long ResetsInSeconds => Math.Max(0, (long)Math.Ceiling((ResetsAt - Now).TotalSeconds));

    /// <summary>
    /// Codex's usage headers: <c>x-codex-primary-*</c> for this window and <c>x-codex-secondary-*</c> for a weekly one
    /// (a quarter of the primary's use, as a 5 h window is a part of a week).
    /// </summary>
    public void WriteCodexHeaders(HttpResponse response)
    {
        IHeaderDictionary headers = response.Headers;
        headers["x-codex-primary-used-percent"] = Number(UsedPercent);
        headers["x-codex-primary-window-minutes"] = Number(Math.Max(1, Math.Round(Window.TotalMinutes)));
        headers["x-codex-primary-reset-after-seconds"] = Number(ResetsInSeconds);
        headers["x-codex-primary-reset-at"] = Number(ResetsAt.ToUnixTimeSeconds());
        headers["x-codex-secondary-used-percent"] = Number(Math.Round(UsedPercent / 4, 1));
        headers["x-codex-secondary-window-minutes"] = "10080";
        headers["x-codex-secondary-reset-after-seconds"] = Number(ResetsInSeconds + 86400);
    }

    /// <summary>Anthropic's unified rate-limit headers of a subscription: status, reset and per-window utilization (a fraction).</summary>
    public void WriteAnthropicHeaders(HttpResponse response)
    {
        IHeaderDictionary headers = response.Headers;
        string status = !Allowed ? "rejected" : UsedPercent >= 80 ? "allowed_warning" : "allowed";
        string reset = Number(ResetsAt.ToUnixTimeSeconds());
        headers["anthropic-ratelimit-unified-status"] = status;
        headers["anthropic-ratelimit-unified-reset"] = reset;
        headers["anthropic-ratelimit-unified-representative-claim"] = "five_hour";
        headers["anthropic-ratelimit-unified-5h-status"] = status;
        headers["anthropic-ratelimit-unified-5h-reset"] = reset;
        headers["anthropic-ratelimit-unified-5h-utilization"] = Number(Math.Round(UsedPercent / 100, 4));
        headers["anthropic-ratelimit-unified-7d-status"] = "allowed";
        headers["anthropic-ratelimit-unified-7d-reset"] = Number(ResetsAt.ToUnixTimeSeconds() + 86400);
        headers["anthropic-ratelimit-unified-7d-utilization"] = Number(Math.Round(UsedPercent / 400, 4));
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
