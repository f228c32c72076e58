using Godex.Core.Backends;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Backends.Codex;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Composition;

/// <summary>Builds the enabled providers from configuration, each with its own pooled HTTP client.</summary>
internal static class BackendFactory
{
    /// <param name="options">The final options.</param>
    /// <param name="services">Supplies <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/>.</param>
    /// <param name="wrapHandler">Wraps each backend's HTTP handler (exec records the bytes sent upstream with it).</param>
    public static IReadOnlyList<IChatBackend> Create(GodexOptions options, IServiceProvider services, Func<HttpMessageHandler, HttpMessageHandler>? wrapHandler = null)
    {
        TimeProvider time = services.GetRequiredService<TimeProvider>();
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        var backends = new List<IChatBackend>();

        CodexBackendOptions codex = options.Proxy.Backends.Codex;
        if (codex.Enabled)
        {
            HttpClient http = CreateClient(codex, wrapHandler);
            var credentials = new CodexCredentialStore(codex, http, time, loggers.CreateLogger<CodexCredentialStore>());
            backends.Add(new CodexBackend(codex, http, credentials, time, loggers.CreateLogger<CodexBackend>()));
        }

        AnthropicBackendOptions anthropic = options.Proxy.Backends.Anthropic;
        if (anthropic.Enabled)
        {
            HttpClient http = CreateClient(anthropic, wrapHandler);
            var credentials = new ClaudeCredentialStore(anthropic, http, time, loggers.CreateLogger<ClaudeCredentialStore>());
            backends.Add(new AnthropicBackend(anthropic, http, credentials, time, loggers.CreateLogger<AnthropicBackend>()));
        }

        return backends;
    }

    private static HttpClient CreateClient(UpstreamOptions options, Func<HttpMessageHandler, HttpMessageHandler>? wrapHandler) =>
        wrapHandler is null
            ? UpstreamHttp.CreateClient(options)
            : new HttpClient(wrapHandler(UpstreamHttp.CreateHandler(options)), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Whether a backend can serve now as far as godex can tell without calling it (<c>/readyz</c>): its login (or
    /// API key) is present. An expired OAuth token still counts: it is refreshed on the first request.
    /// </summary>
    public static bool IsReady(string backend, GodexOptions options) => backend switch
    {
        "codex" => CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex),
        "anthropic" => ClaudeCredentialStore.HasLogin(options.Proxy.Backends.Anthropic),
        _ => true,
    };

    /// <summary>One line for the startup log: where the backend points and which login it uses. No secrets.</summary>
    public static string Describe(string backend, GodexOptions options) => backend switch
    {
        "codex" => $"{options.Proxy.Backends.Codex.BaseUrl} (login: {CodexCredentialStore.ResolvePath(options.Proxy.Backends.Codex)}{(CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex) ? "" : ", missing")})",
        "anthropic" => $"{options.Proxy.Backends.Anthropic.BaseUrl} (login: {DescribeAnthropicLogin(options.Proxy.Backends.Anthropic)})",
        _ => backend,
    };

    private static string DescribeAnthropicLogin(AnthropicBackendOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return "API key from config";
        }

        if (!string.IsNullOrEmpty(options.ApiKeyEnv) && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(options.ApiKeyEnv)))
        {
            return "API key from $" + options.ApiKeyEnv;
        }

        string path = ClaudeCredentialStore.ResolvePath(options);
        return ClaudeCredentialStore.HasLogin(options) ? path : path + ", missing";
    }
}
