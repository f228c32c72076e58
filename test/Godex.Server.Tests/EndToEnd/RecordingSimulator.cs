using System.Text.Json;
using Godex.Composition;
using Godex.Core.Configuration;
using Godex.Simulator;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// A godex whose providers talk to a simulator the test holds, so that it can read what godex sent upstream
/// (<see cref="UpstreamBodies"/>) as well as what the client got.
/// </summary>
internal sealed class RecordingSimulator : IAsyncDisposable
{
    private readonly string _home;

    private RecordingSimulator(SimulatorHost simulator, GodexAppHarness godex, string home)
    {
        Simulator = simulator;
        Godex = godex;
        _home = home;
    }

    public SimulatorHost Simulator { get; }

    public GodexAppHarness Godex { get; }

    public static async Task<RecordingSimulator> StartAsync(Action<GodexOptions>? configure = null)
    {
        SimulatorHost simulator = await SimulatorHost.StartAsync(new SimulatorOptions(), TestContext.Current.CancellationToken);
        string home = "";
        GodexAppHarness godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            home = SimulatedUpstream.PointBackendsAt(options, simulator.BaseUrl);
            configure?.Invoke(options);
        });
        return new RecordingSimulator(simulator, godex, home);
    }

    /// <summary>The bodies godex sent to <paramref name="path"/> (<c>/v1/messages</c>, <c>/backend-api/codex/responses</c>), in order.</summary>
    public List<JsonElement> UpstreamBodies(string path) =>
        [.. Simulator.State.Bodies.Where(b => b.Path == path).Select(b => JsonDocument.Parse(b.Body).RootElement.Clone())];

    public async ValueTask DisposeAsync()
    {
        await Godex.DisposeAsync();
        await Simulator.DisposeAsync();
        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }
}
