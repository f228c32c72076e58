using Godex.Core.Backends;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Backends.Codex;
using Godex.Core.Backends.OpenAI;
using Godex.Core.Backends.Pools;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Limits;
using Godex.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Composition;

/// <summary>
/// Builds the enabled providers from configuration, each with its own pooled HTTP client and its accounts
/// (<see cref="BackendAccounts"/>). Services it uses when present: <see cref="IAccountCooldownStore"/> and
/// <see cref="IAccountStateStore"/> (cooldowns and reported usage survive a restart), <see cref="SqliteAccountRegistry"/> (accounts added from the command line), <see cref="AccountPools"/>.
/// </summary>
internal static class BackendFactory
{
    /// <param name="options">The final options.</param>
    /// <param name="services">Supplies <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/>.</param>
    /// <param name="wrapHandler">Wraps each backend's HTTP handler (exec records the bytes sent upstream with it).</param>
    public static IReadOnlyList<IChatBackend> Create(GodexOptions options, IServiceProvider services, Func<HttpMessageHandler, HttpMessageHandler>? wrapHandler = null)
    {
        TimeProvider time = services.GetRequiredService<TimeProvider>();
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        IAccountCooldownStore? cooldowns = services.GetService<IAccountCooldownStore>();
        IAccountStateStore? state = services.GetService<IAccountStateStore>();
        IReadOnlyList<RegisteredAccount> added = services.GetService<SqliteAccountRegistry>()?.List(null) ?? [];
        AccountPools? pools = services.GetService<AccountPools>();
        IUpstreamObserver? observer = services.GetService<IUpstreamObserver>(); // the server's metrics, when on
        PoolOptions pool = options.Proxy.Pool;
        var backends = new List<IChatBackend>();

        CodexBackendOptions codex = options.Proxy.Backends.Codex;
        if (codex.Enabled)
        {
            HttpClient http = CreateClient(codex, wrapHandler);
            IReadOnlyList<ResolvedAccount> accounts = BackendAccounts.Codex(options, added);
            ILogger<CodexBackend> logger = loggers.CreateLogger<CodexBackend>();
            var backend = new CodexBackend(
                codex, http, [.. accounts.Select(a => new CodexCredentialStore(codex, a.LoginPath!, http, time, loggers.CreateLogger<CodexCredentialStore>()))], CreatePool("codex", accounts, codex, pool, time, cooldowns, state, logger), time, logger, observer);
            pools?.Add(backend.Pool);
            backends.Add(backend);
        }

        AnthropicBackendOptions anthropic = options.Proxy.Backends.Anthropic;
        if (anthropic.Enabled)
        {
            HttpClient http = CreateClient(anthropic, wrapHandler);
            IReadOnlyList<ResolvedAccount> accounts = BackendAccounts.Anthropic(options, added);
            ILogger<AnthropicBackend> logger = loggers.CreateLogger<AnthropicBackend>();
            var backend = new AnthropicBackend(
                anthropic, http, [.. accounts.Select(a => new ClaudeCredentialStore(anthropic, a.LoginPath ?? ClaudeCredentialStore.ResolvePath(anthropic), a.ApiKey, http, time, loggers.CreateLogger<ClaudeCredentialStore>()))],
                CreatePool("anthropic", accounts, anthropic, pool, time, cooldowns, state, logger), time, logger, observer);
            pools?.Add(backend.Pool);
            backends.Add(backend);
        }

        foreach (CustomBackendOptions custom in options.Proxy.Backends.Custom)
        {
            if (!custom.Enabled)
            {
                continue;
            }

            // Several keys (accounts:) share a pool with saved cooldowns, as the logins of codex and anthropic do; one key
            // has no pool on its request path.
            HttpClient http = CreateClient(custom, wrapHandler);
            ILogger<OpenAICompatibleBackend> logger = loggers.CreateLogger<OpenAICompatibleBackend>();
            AccountPool? accounts = custom.Accounts.Count == 0 ? null
                : new AccountPool(custom.Name, [.. custom.Accounts.Select(a => a.Name)], PoolStrategies.Parse(custom.Strategy ?? pool.Strategy), pool, time, cooldowns, state, logger);
            var backend = new OpenAICompatibleBackend(custom, http, time, logger, pool: accounts, observer: observer);
            if (accounts is not null)
            {
                pools?.Add(accounts);
            }

            backends.Add(backend);
        }

        return backends;
    }

    private static AccountPool CreatePool(string backend, IReadOnlyList<ResolvedAccount> accounts, UpstreamOptions options, PoolOptions pool, TimeProvider time, IAccountCooldownStore? cooldowns, IAccountStateStore? state, ILogger logger) =>
        new(backend, [.. accounts.Select(a => a.Name)], PoolStrategies.Parse(options.Strategy ?? pool.Strategy), pool, time, cooldowns, state, logger);

    /// <summary>The backend's client over its pooled handler (wrapped by exec's recorder when given).</summary>
    private static UpstreamClient CreateClient(UpstreamOptions options, Func<HttpMessageHandler, HttpMessageHandler>? wrapHandler)
    {
        HttpMessageHandler handler = UpstreamHttp.CreateHandler(options);
        if (wrapHandler is not null)
        {
            handler = wrapHandler(handler);
        }

        return new UpstreamClient(handler);
    }

    /// <summary>
    /// Whether a backend can serve now as far as godex can tell without calling it (<c>/readyz</c>): its login (or
    /// API key) is present. An expired OAuth token still counts: it is refreshed on the first request.
    /// </summary>
    public static bool IsReady(string backend, GodexOptions options) => backend switch
    {
        "codex" => CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex),
        "anthropic" => ClaudeCredentialStore.HasLogin(options.Proxy.Backends.Anthropic),
        _ => options.Proxy.Backends.Custom.Find(c => c.Name == backend) is not { } custom || HasKey(custom),
    };

    /// <summary>With accounts: one of them has its key; else the backend's <c>auth</c> has one (or needs none).</summary>
    private static bool HasKey(CustomBackendOptions custom) => custom.Accounts.Count > 0
        ? custom.Accounts.Exists(a => HasValue(a.KeyEnv, a.ApiKey))
        : custom.Auth.Type is not ("api_key" or "bearer") || HasValue(custom.Auth.KeyEnv, custom.Auth.Key);

    private static bool HasValue(string? keyEnv, string? key) =>
        !string.IsNullOrWhiteSpace(keyEnv is { } env ? Environment.GetEnvironmentVariable(env) : key);

    /// <summary>One line for the startup log: where the backend points and which login it uses. No secrets.</summary>
    public static string Describe(string backend, GodexOptions options) => backend switch
    {
        "codex" => $"{options.Proxy.Backends.Codex.BaseUrl} (login: {CodexCredentialStore.ResolvePath(options.Proxy.Backends.Codex)}{(CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex) ? "" : ", missing")})",
        "anthropic" => $"{options.Proxy.Backends.Anthropic.BaseUrl} (login: {DescribeAnthropicLogin(options.Proxy.Backends.Anthropic)})",
        _ => options.Proxy.Backends.Custom.Find(c => c.Name == backend) is { } custom
            ? $"{custom.BaseUrl} ({custom.Type}, {(custom.Accounts.Count > 0 ? "a key per account" : "auth: " + custom.Auth.Type)}{(HasKey(custom) ? "" : ", key missing")})"
            : backend,
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
