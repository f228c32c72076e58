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
}
