namespace Godex.Simulator;

/// <summary>Settings for a <see cref="SimulatorHost"/> and the endpoints <c>MapSimulator</c> mounts.</summary>
internal sealed class SimulatorOptions
{
    /// <summary>
    /// Where Kestrel listens, as <c>host:port</c>. Only loopback hosts are accepted.
    /// <value>The default value is <c>127.0.0.1:0</c> (a free port, read back from <see cref="SimulatorHost.BaseUrl"/>).</value>
    /// </summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>
    /// Pause between two streamed deltas, to look like a real model. <c>[sim:slow=N]</c> overrides it per request.
    /// <value>The default value is <see cref="TimeSpan.Zero"/>.</value>
    /// </summary>
    public TimeSpan TokenDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Directives applied to every request whose prompt carries none, written as in a prompt, e.g. <c>"[sim:429]"</c>
    /// or <c>"[sim:slow=50][sim:cut]"</c>. Lets a test fail every call without controlling the prompt.
    /// <value>The default value is <see langword="null"/> (no fault).</value>
    /// </summary>
    public string? DefaultFault { get; init; }

    /// <summary>
    /// Seconds announced in 429 bodies (<c>resets_in_seconds</c>) and the <c>Retry-After</c> header.
    /// <value>The default value is 1.</value>
    /// </summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Clock for <c>created_at</c> and reset times. <value>The default value is <see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Accounts with a quota: a request with one of these keys (bearer token or <c>x-api-key</c>) counts against it,
    /// responses report the usage in the upstream's own headers, and once it is spent the upstream's real 429 answers
    /// until the window starts again. Keys not listed have no quota. <value>The default value is none.</value>
    /// </summary>
    public IReadOnlyList<SimulatorAccount> Accounts { get; init; } = [];

    /// <summary>How long a quota window lasts (the reset the 429s and headers announce). <value>The default value is 5 h.</value></summary>
    public TimeSpan QuotaWindow { get; init; } = TimeSpan.FromHours(5);

    /// <summary>
    /// When set, the OpenAI-compatible chat upstream accepts only this bearer (401 otherwise), as a real provider
    /// checks its API key. <value>The default value is null (any key).</value>
    /// </summary>
    public string? ChatApiKey { get; init; }

    /// <summary>
    /// The polling interval the device login announces (<c>interval</c>); a poll sooner than this after the previous one
    /// is refused with 429 and <c>Retry-After</c>, so a test proves the client waits. <value>The default value is 5 s.</value>
    /// </summary>
    public TimeSpan DeviceCodeInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a device login's user code can be approved and polled (Codex prints "expires in 15 minutes"). <value>The default value is 15 min.</value></summary>
    public TimeSpan DeviceCodeLifetime { get; init; } = TimeSpan.FromMinutes(15);
}
