using Godex.Core.Configuration;
using Godex.Server.Hosting;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>Starts the real composition root (<see cref="GodexApp"/>) on 127.0.0.1:0 for end-to-end tests.</summary>
internal sealed class GodexAppHarness : IAsyncDisposable
{
    private GodexAppHarness(GodexApp app)
    {
        App = app;
        Http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public GodexApp App { get; }

    public HttpClient Http { get; }

    /// <summary>Where this instance keeps its database and admin socket (deleted on dispose).</summary>
    public string StateDirectory { get; private init; } = "";

    public Uri OpenAIEndpoint => new(App.BaseUrl, "/v1");

    /// <summary>godex on the built-in simulator (whatever logins this machine has).</summary>
    public static Task<GodexAppHarness> StartOnSimulatorAsync(Action<GodexOptions>? configure = null) =>
        StartAsync(options =>
        {
            options.Proxy.Simulator = "on";
            configure?.Invoke(options);
        });

    public static async Task<GodexAppHarness> StartAsync(Action<GodexOptions> configure, TimeProvider? timeProvider = null, Action<Microsoft.Extensions.Logging.ILoggingBuilder>? configureLogging = null)
    {
        var options = new GodexOptions();
        options.Proxy.Listen = "127.0.0.1:0";
        options.Proxy.LogLevel = "warn";
        string state = Path.Combine(Path.GetTempPath(), "godex-e2e-" + Guid.NewGuid().ToString("N"));
        options.Proxy.Database = Path.Combine(state, "godex.db"); // never the user's ~/.godex
        options.Proxy.AdminSocket = Path.Combine(state, "admin.sock");
        configure(options);
        GodexApp app = await GodexApp.StartAsync(options, [], TestContext.Current.CancellationToken, configureLogging, timeProvider);
        return new GodexAppHarness(app) { StateDirectory = state };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        if (Directory.Exists(StateDirectory))
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
