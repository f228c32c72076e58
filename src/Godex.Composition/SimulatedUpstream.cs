using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Godex.Simulator;

namespace Godex.Composition;

/// <summary>
/// Simulator mode, as <c>godex proxy</c> and <c>godex exec</c> both use it: when no login exists (or
/// <c>proxy.simulator: on</c>), the built-in simulator is started and the real providers are pointed at it, so every
/// code path (HTTP client, credentials, parser) is the one a real upstream would exercise. Disposing it stops the
/// simulator and deletes its private login folder.
/// </summary>
public sealed class SimulatedUpstream : IAsyncDisposable
{
    /// <summary>The simulator's credentials: fixed, non-expiring, and obviously not real.</summary>
    public const string SimulatorKey = "godex-simulator";

    private readonly SimulatorHost _host;
    private readonly string _home;

    private SimulatedUpstream(SimulatorHost host, string home)
    {
        _host = host;
        _home = home;
    }

    /// <summary>Where the simulator listens.</summary>
    public Uri BaseUrl => _host.BaseUrl;

    /// <summary>
    /// Starts the simulator and points <paramref name="options"/>' providers at it when <c>proxy.simulator</c> is
    /// <c>on</c>, or <c>auto</c> and no login exists; otherwise returns null and changes nothing.
    /// </summary>
    public static async Task<SimulatedUpstream?> StartIfWantedAsync(GodexOptions options, CancellationToken cancellationToken, IReadOnlyList<Core.Storage.RegisteredAccount>? added = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool wanted = options.Proxy.Simulator switch
        {
            "on" => true,
            "off" => false,
            _ => !BackendAccounts.AnyLogin(options, added ?? []),
        };
        if (!wanted)
        {
            return null;
        }

        SimulatorHost host = await SimulatorHost.StartAsync(new SimulatorOptions(), cancellationToken);
        return new SimulatedUpstream(host, PointBackendsAt(options, host.BaseUrl));
    }

    /// <summary>True when an enabled provider has a login of its own.</summary>
    public static bool AnyLoginExists(GodexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BackendAccounts.AnyLogin(options, []);
    }

    /// <summary>
    /// Points both providers at <paramref name="simulator"/>: Codex through an API-key login file in a private temp
    /// folder (returned, for deletion at shutdown), Anthropic through an API key.
    /// </summary>
    internal static string PointBackendsAt(GodexOptions options, Uri simulator)
    {
        string home = Path.Combine(Path.GetTempPath(), "godex-simulator-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        string authPath = Path.Combine(home, "auth.json");
        CredentialFile.WriteAtomic(authPath, new JsonObject
        {
            ["auth_mode"] = "api_key",
            ["OPENAI_API_KEY"] = SimulatorKey,
        });

        string root = simulator.ToString().TrimEnd('/');
        CodexBackendOptions codex = options.Proxy.Backends.Codex;
        codex.Enabled = true;
        codex.BaseUrl = root + "/backend-api/codex";
        codex.AuthPath = authPath;
        codex.RefreshUrl = root + "/oauth/token";

        AnthropicBackendOptions anthropic = options.Proxy.Backends.Anthropic;
        anthropic.Enabled = true;
        anthropic.BaseUrl = root;
        anthropic.ApiKey = SimulatorKey;
        anthropic.RefreshUrl = root + "/oauth/token";
        return home;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // Already gone (a temp cleaner): nothing of the user's is in it.
        }
    }
}
