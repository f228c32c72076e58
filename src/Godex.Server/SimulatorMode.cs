using System.Text.Json.Nodes;
using Godex.Auth;
using Godex.Configuration;

namespace Godex.Server;

/// <summary>
/// Demo mode: when no login exists, the real providers are pointed at the built-in simulator, so every code path
/// (HTTP client, credentials, parser) is the one a real upstream would exercise.
/// </summary>
internal static class SimulatorMode
{
    /// <summary>The simulator's credentials: fixed, non-expiring, and obviously not real.</summary>
    public const string SimulatorKey = "godex-simulator";

    public static bool AnyLoginExists(GodexOptions options) =>
        (options.Proxy.Backends.Codex.Enabled && CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex))
        || (options.Proxy.Backends.Anthropic.Enabled && ClaudeCredentialStore.HasLogin(options.Proxy.Backends.Anthropic));

    /// <summary>
    /// Points both providers at <paramref name="simulator"/>: Codex through an API-key login file in a private temp
    /// folder (returned, for deletion at shutdown), Anthropic through an API key.
    /// </summary>
    public static string PointBackendsAt(GodexOptions options, Uri simulator)
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
}
