namespace Godex.Core.Storage;

/// <summary>
/// What godex knows about one upstream account (a login of a backend) that should outlive the process, besides its
/// cooldown (kept by <c>IAccountCooldownStore</c>): the last error and the usage windows it last reported.
/// <c>godex accounts status</c> reads it from another process.
/// </summary>
/// <param name="Backend">The backend id (<c>codex</c>, <c>anthropic</c>).</param>
/// <param name="Account">The account's name within the backend.</param>
/// <param name="LastError">The last refusal's message (never a secret), or null.</param>
/// <param name="Primary">The shorter usage window the upstream reported (Codex primary, Anthropic 5 h), or null.</param>
/// <param name="Secondary">The longer window (Codex secondary, Anthropic 7 d), or null.</param>
/// <param name="UpdatedAt">When this state last changed.</param>
public sealed record AccountState(
    string Backend,
    string Account,
    string? LastError,
    UsageWindow? Primary,
    UsageWindow? Secondary,
    DateTimeOffset UpdatedAt);

/// <summary>One usage window as an upstream reports it.</summary>
/// <param name="UsedPercent">How much of the window's allowance is spent, 0–100 (may exceed 100).</param>
/// <param name="WindowMinutes">The window's length, when the upstream says.</param>
/// <param name="ResetsAt">When the window starts again, when the upstream says.</param>
public sealed record UsageWindow(double UsedPercent, int? WindowMinutes, DateTimeOffset? ResetsAt);
