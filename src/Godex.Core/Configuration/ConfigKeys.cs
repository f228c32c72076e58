namespace Godex.Core.Configuration;

/// <summary>
/// Every scalar and list key godex reads, with its environment variable. One table drives the YAML file, the
/// environment and the docs check, so a key cannot be read in one place and forgotten in another.
/// </summary>
internal static class ConfigKeys
{
    /// <summary>A key: its dotted YAML path, its <c>GODEX_*</c> variable (if any) and how to apply a text value.</summary>
    public sealed record Key(string Path, string? EnvVar, Action<GodexOptions, string> Apply)
    {
        /// <summary>
        /// The original godex's name for the same variable where it differs (<c>GODEX_PROXY_RATE</c> for
        /// <c>GODEX_PROXY_DEFAULT_RATE</c>): read too, so its users' environments keep working; <see cref="EnvVar"/>
        /// wins when both are set.
        /// </summary>
        public string? OriginalEnvVar { get; init; }
    }

    /// <summary>A list key (YAML sequence, or a comma-separated env/flag value).</summary>
    public sealed record ListKey(string Path, string? EnvVar, Action<GodexOptions, List<string>> Apply);

    public static IReadOnlyList<Key> Scalars { get; } = BuildScalars();

    public static IReadOnlyList<ListKey> Lists { get; } =
    [
        new("proxy.backends.codex.models", null, (o, v) => o.Proxy.Backends.Codex.Models = v),
        new("proxy.backends.anthropic.models", null, (o, v) => o.Proxy.Backends.Anthropic.Models = v),
        new("proxy.backends.anthropic.oauth_betas", "GODEX_ANTHROPIC_OAUTH_BETAS", (o, v) => o.Proxy.Backends.Anthropic.OAuthBetas = v),
    ];

    /// <summary>Maps handled by <see cref="ConfigLoader"/> itself (their children are free-form names).</summary>
    public static IReadOnlyList<string> Maps { get; } =
        ["routing.aliases", "routing.patterns", "routing.fallbacks", "proxy.payments.prices", "proxy.prices", "proxy.backends.codex.accounts", "proxy.backends.anthropic.accounts", "proxy.backends.custom"];

    /// <summary>Keys of the original godex that this version does not implement yet: warned about, not fatal.</summary>
    public static IReadOnlyList<string> NotYetSupported { get; } =
    [
        "proxy.stats_path",
        "proxy.stats_summary", "proxy.stats_max_bytes", "proxy.stats_max_backups", "proxy.events_path",
        "proxy.events_max_bytes", "proxy.events_max_backups", "proxy.cache_ttl",
        "proxy.models", "proxy.metrics.path", "proxy.metrics.log_requests", "proxy.backends.codex.native_tools",
    ];

    /// <summary>The original's environment variables of <see cref="NotYetSupported"/> keys: warned about when set.</summary>
    public static IReadOnlyList<string> NotYetSupportedEnvVars { get; } =
    [
        "GODEX_PROXY_CACHE_TTL", "GODEX_PROXY_STATS_PATH", "GODEX_PROXY_STATS_SUMMARY", "GODEX_PROXY_STATS_MAX_BYTES",
        "GODEX_PROXY_STATS_MAX_BACKUPS", "GODEX_PROXY_EVENTS_PATH", "GODEX_PROXY_EVENTS_MAX_BYTES",
        "GODEX_PROXY_EVENTS_MAX_BACKUPS",
    ];

    private static List<Key> BuildScalars()
    {
        var keys = new List<Key>
        {
            new("proxy.listen", "GODEX_PROXY_LISTEN", (o, v) => o.Proxy.Listen = ConfigValues.ParseListen(v, "proxy.listen")),
            new("proxy.api_key", "GODEX_PROXY_API_KEY", (o, v) => o.Proxy.ApiKey = Empty(v)),
            new("proxy.allow_any_key", "GODEX_PROXY_ALLOW_ANY_KEY", (o, v) => o.Proxy.AllowAnyKey = ConfigValues.ParseBool(v, "proxy.allow_any_key")),
            new("proxy.model", "GODEX_PROXY_MODEL", (o, v) => o.Proxy.Model = Required(v, "proxy.model")),
            new("proxy.log_level", "GODEX_PROXY_LOG_LEVEL", (o, v) => o.Proxy.LogLevel = ConfigValues.ParseChoice(v, "proxy.log_level", "trace", "debug", "info", "warn", "warning", "error")),
            new("proxy.log_requests", "GODEX_PROXY_LOG_REQUESTS", (o, v) => o.Proxy.LogRequests = ConfigValues.ParseBool(v, "proxy.log_requests")),
            new("proxy.max_body_bytes", "GODEX_PROXY_MAX_BODY_BYTES", (o, v) => o.Proxy.MaxRequestBodyBytes = Positive(ConfigValues.ParseBytes(v, "proxy.max_body_bytes"), "proxy.max_body_bytes")),
            new("proxy.max_inflight_body_bytes", "GODEX_PROXY_MAX_INFLIGHT_BODY_BYTES", (o, v) => o.Proxy.MaxInFlightBodyBytes = Positive(ConfigValues.ParseBytes(v, "proxy.max_inflight_body_bytes"), "proxy.max_inflight_body_bytes")),
            new("proxy.request_headers_timeout", "GODEX_PROXY_REQUEST_HEADERS_TIMEOUT", (o, v) => o.Proxy.RequestHeadersTimeout = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.request_headers_timeout"), "proxy.request_headers_timeout")),
            new("proxy.simulator", "GODEX_PROXY_SIMULATOR", (o, v) => o.Proxy.Simulator = ConfigValues.ParseChoice(v, "proxy.simulator", "auto", "on", "off")),
            new("proxy.responses_ttl", "GODEX_PROXY_RESPONSES_TTL", (o, v) => o.Proxy.ResponsesTtl = ConfigValues.ParseDuration(v, "proxy.responses_ttl")),
            new("proxy.reasoning_cache.max_entries", "GODEX_PROXY_REASONING_CACHE_MAX_ENTRIES", (o, v) => o.Proxy.ReasoningCache.MaxEntries = NonNegative(ConfigValues.ParseInt(v, "proxy.reasoning_cache.max_entries"), "proxy.reasoning_cache.max_entries")),
            new("proxy.reasoning_cache.max_bytes", "GODEX_PROXY_REASONING_CACHE_MAX_BYTES", (o, v) => o.Proxy.ReasoningCache.MaxBytes = Positive(ConfigValues.ParseBytes(v, "proxy.reasoning_cache.max_bytes"), "proxy.reasoning_cache.max_bytes")),
            new("proxy.reasoning_cache.ttl", "GODEX_PROXY_REASONING_CACHE_TTL", (o, v) => o.Proxy.ReasoningCache.Ttl = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.reasoning_cache.ttl"), "proxy.reasoning_cache.ttl")),
            new("proxy.models_cache_ttl", "GODEX_PROXY_MODELS_CACHE_TTL", (o, v) => o.Proxy.ModelsCacheTtl = ConfigValues.ParseDuration(v, "proxy.models_cache_ttl")),
            new("proxy.database", "GODEX_PROXY_DATABASE", (o, v) => o.Proxy.Database = Required(v, "proxy.database")),
            new("proxy.keys_path", "GODEX_PROXY_KEYS_PATH", (o, v) => o.Proxy.KeysPath = Required(v, "proxy.keys_path")),
            new("proxy.default_rate", "GODEX_PROXY_DEFAULT_RATE", (o, v) => o.Proxy.DefaultRate = ConfigValues.ParseRate(v, "proxy.default_rate")) { OriginalEnvVar = "GODEX_PROXY_RATE" },
            new("proxy.default_burst", "GODEX_PROXY_DEFAULT_BURST", (o, v) => o.Proxy.DefaultBurst = Positive(ConfigValues.ParseInt(v, "proxy.default_burst"), "proxy.default_burst")) { OriginalEnvVar = "GODEX_PROXY_BURST" },
            new("proxy.default_quota_tokens", "GODEX_PROXY_DEFAULT_QUOTA_TOKENS", (o, v) => o.Proxy.DefaultQuotaTokens = NonNegative(ConfigValues.ParseInt(v, "proxy.default_quota_tokens"), "proxy.default_quota_tokens")) { OriginalEnvVar = "GODEX_PROXY_QUOTA_TOKENS" },
            new("proxy.meter_window", "GODEX_PROXY_METER_WINDOW", (o, v) => o.Proxy.MeterWindow = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.meter_window"), "proxy.meter_window")),
            new("proxy.admin_socket", "GODEX_PROXY_ADMIN_SOCKET", (o, v) => o.Proxy.AdminSocket = Required(v, "proxy.admin_socket")),
            new("proxy.admin_key", "GODEX_PROXY_ADMIN_KEY", (o, v) => o.Proxy.AdminKey = Empty(v)),
            new("proxy.log_format", "GODEX_PROXY_LOG_FORMAT", (o, v) => o.Proxy.LogFormat = ConfigValues.ParseChoice(v, "proxy.log_format", "text", "json")),
            new("proxy.metrics.enabled", "GODEX_PROXY_METRICS_ENABLED", (o, v) => o.Proxy.Metrics.Enabled = ConfigValues.ParseBool(v, "proxy.metrics.enabled")),
            new("proxy.metrics.listen", "GODEX_PROXY_METRICS_LISTEN", (o, v) => o.Proxy.Metrics.Listen = Empty(v) is { } listen ? ConfigValues.ParseListen(listen, "proxy.metrics.listen") : null),
            new("proxy.metrics.require_admin_key", null, (o, v) => o.Proxy.Metrics.RequireAdminKey = ConfigValues.ParseBool(v, "proxy.metrics.require_admin_key")),
            new("proxy.tracing.enabled", "GODEX_PROXY_TRACING_ENABLED", (o, v) => o.Proxy.Tracing.Enabled = ConfigValues.ParseBool(v, "proxy.tracing.enabled")),
            new("proxy.tracing.endpoint", "GODEX_PROXY_TRACING_ENDPOINT", (o, v) => o.Proxy.Tracing.Endpoint = ConfigValues.ParseUrl(v, "proxy.tracing.endpoint")),
            new("proxy.tracing.headers", "GODEX_PROXY_TRACING_HEADERS", (o, v) => o.Proxy.Tracing.Headers = Empty(v)),
            new("proxy.tracing.sample_ratio", null, (o, v) => o.Proxy.Tracing.SampleRatio = ConfigValues.ParseRatio(v, "proxy.tracing.sample_ratio")),
            new("proxy.tracing.propagate", null, (o, v) => o.Proxy.Tracing.Propagate = ConfigValues.ParseBool(v, "proxy.tracing.propagate")),
            new("proxy.audit_path", "GODEX_PROXY_AUDIT_PATH", (o, v) => o.Proxy.AuditPath = Empty(v)),
            new("proxy.audit_max_bytes", "GODEX_PROXY_AUDIT_MAX_BYTES", (o, v) => o.Proxy.AuditMaxBytes = Positive(ConfigValues.ParseBytes(v, "proxy.audit_max_bytes"), "proxy.audit_max_bytes")),
            new("proxy.audit_max_backups", "GODEX_PROXY_AUDIT_MAX_BACKUPS", (o, v) => o.Proxy.AuditMaxBackups = NonNegative(ConfigValues.ParseInt(v, "proxy.audit_max_backups"), "proxy.audit_max_backups")),
            new("proxy.audit_bodies", "GODEX_PROXY_AUDIT_BODIES", (o, v) => o.Proxy.AuditBodies = ConfigValues.ParseBool(v, "proxy.audit_bodies")),
            new("proxy.trace_path", "GODEX_PROXY_TRACE_PATH", (o, v) => o.Proxy.TracePath = Empty(v)),
            new("proxy.trace_max_bytes", "GODEX_PROXY_TRACE_MAX_BYTES", (o, v) => o.Proxy.TraceMaxBytes = Positive(ConfigValues.ParseBytes(v, "proxy.trace_max_bytes"), "proxy.trace_max_bytes")),
            new("proxy.trace_max_backups", "GODEX_PROXY_TRACE_MAX_BACKUPS", (o, v) => o.Proxy.TraceMaxBackups = NonNegative(ConfigValues.ParseInt(v, "proxy.trace_max_backups"), "proxy.trace_max_backups")),
            new("proxy.upstream_audit_path", "GODEX_UPSTREAM_AUDIT_PATH", (o, v) => o.Proxy.UpstreamAuditPath = Empty(v)),
            new("proxy.payments.enabled", "GODEX_PAYMENTS_ENABLED", (o, v) => o.Proxy.Payments.Enabled = ConfigValues.ParseBool(v, "proxy.payments.enabled")),
            new("proxy.payments.provider", "GODEX_PAYMENTS_PROVIDER", (o, v) => o.Proxy.Payments.Provider = ConfigValues.ParseChoice(v, "proxy.payments.provider", "l402")),
            new("proxy.payments.token_meter_url", "GODEX_PAYMENTS_TOKEN_METER_URL", (o, v) => o.Proxy.Payments.TokenMeterUrl = Empty(v)) { OriginalEnvVar = "GODEX_TOKEN_METER_URL" },
            new("proxy.payments.macaroon_key", "GODEX_MACAROON_KEY", (o, v) => o.Proxy.Payments.MacaroonKeyPath = Required(v, "proxy.payments.macaroon_key")),
            new("proxy.payments.redeemed_path", "GODEX_L402_REDEEMED_PATH", (o, v) => o.Proxy.Payments.RedeemedPath = Required(v, "proxy.payments.redeemed_path")),
            new("proxy.payments.invoice_sat", "GODEX_PAYMENTS_INVOICE_SAT", (o, v) => o.Proxy.Payments.InvoiceSat = Positive(ConfigValues.ParseInt(v, "proxy.payments.invoice_sat"), "proxy.payments.invoice_sat")),
            new("proxy.payments.invoice_expiry", null, (o, v) => o.Proxy.Payments.InvoiceExpiry = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.payments.invoice_expiry"), "proxy.payments.invoice_expiry")),
            new("proxy.payments.token_ttl", null, (o, v) => o.Proxy.Payments.TokenLifetime = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.payments.token_ttl"), "proxy.payments.token_ttl")),
            new("proxy.payments.default_price", null, (o, v) => o.Proxy.Payments.DefaultPrice = L402Price.Parse(v, "proxy.payments.default_price")),
            new("proxy.payments.lnd.url", "GODEX_LND_URL", (o, v) => o.Proxy.Payments.Lnd.Url = Empty(v) is { } url ? ConfigValues.ParseUrl(url, "proxy.payments.lnd.url") : null),
            new("proxy.payments.lnd.macaroon_path", "GODEX_LND_MACAROON_PATH", (o, v) => o.Proxy.Payments.Lnd.MacaroonPath = Empty(v)),
            new("proxy.payments.lnd.tls_cert_path", "GODEX_LND_TLS_CERT_PATH", (o, v) => o.Proxy.Payments.Lnd.TlsCertPath = Empty(v)),

            // The original's flat Codex keys, kept so its config files keep working.
            new("proxy.base_url", "GODEX_PROXY_BASE_URL", (o, v) => o.Proxy.Backends.Codex.BaseUrl = ConfigValues.ParseUrl(v, "proxy.base_url")),
            new("proxy.originator", "GODEX_PROXY_ORIGINATOR", (o, v) => o.Proxy.Backends.Codex.Originator = Required(v, "proxy.originator")),
            new("proxy.user_agent", "GODEX_PROXY_USER_AGENT", (o, v) => o.Proxy.Backends.Codex.UserAgent = Required(v, "proxy.user_agent")),
            new("proxy.allow_refresh", "GODEX_PROXY_ALLOW_REFRESH", (o, v) => o.Proxy.Backends.Codex.AllowRefresh = ConfigValues.ParseBool(v, "proxy.allow_refresh")),
            new("proxy.auth_path", "GODEX_PROXY_AUTH_PATH", (o, v) => o.Proxy.Backends.Codex.AuthPath = Empty(v)),
            new("auth.path", "GODEX_AUTH_PATH", (o, v) => o.Proxy.Backends.Codex.AuthPath = Empty(v)),
            new("auth.refresh_url", "GODEX_AUTH_REFRESH_URL", (o, v) => o.Proxy.Backends.Codex.RefreshUrl = ConfigValues.ParseUrl(v, "auth.refresh_url")),
            new("auth.client_id", "GODEX_AUTH_CLIENT_ID", (o, v) => o.Proxy.Backends.Codex.ClientId = Required(v, "auth.client_id")),
            new("auth.scope", "GODEX_AUTH_SCOPE", (o, v) => o.Proxy.Backends.Codex.Scope = Required(v, "auth.scope")),
            new("client.base_url", "GODEX_BASE_URL", (o, v) => o.Proxy.Backends.Codex.BaseUrl = ConfigValues.ParseUrl(v, "client.base_url")),
            new("client.originator", "GODEX_ORIGINATOR", (o, v) => o.Proxy.Backends.Codex.Originator = Required(v, "client.originator")),
            new("client.user_agent", "GODEX_USER_AGENT", (o, v) => o.Proxy.Backends.Codex.UserAgent = Required(v, "client.user_agent")),
            new("client.retry_max", "GODEX_RETRY_MAX", (o, v) => o.Proxy.Backends.Codex.RetryMax = NonNegative(ConfigValues.ParseInt(v, "client.retry_max"), "client.retry_max")),
            new("client.retry_delay", "GODEX_RETRY_DELAY", (o, v) => o.Proxy.Backends.Codex.RetryDelay = ConfigValues.ParseDuration(v, "client.retry_delay")),

            new("proxy.backends.codex.auth_path", "GODEX_CODEX_AUTH_PATH", (o, v) => o.Proxy.Backends.Codex.AuthPath = Empty(v)),
            new("proxy.backends.codex.credentials_path", null, (o, v) => o.Proxy.Backends.Codex.AuthPath = Empty(v)),
            new("proxy.backends.codex.originator", null, (o, v) => o.Proxy.Backends.Codex.Originator = Required(v, "proxy.backends.codex.originator")),
            new("proxy.backends.codex.user_agent", null, (o, v) => o.Proxy.Backends.Codex.UserAgent = Required(v, "proxy.backends.codex.user_agent")),
            new("proxy.backends.codex.allow_refresh", null, (o, v) => o.Proxy.Backends.Codex.AllowRefresh = ConfigValues.ParseBool(v, "proxy.backends.codex.allow_refresh")),
            new("proxy.backends.codex.refresh_url", null, (o, v) => o.Proxy.Backends.Codex.RefreshUrl = ConfigValues.ParseUrl(v, "proxy.backends.codex.refresh_url")),
            new("proxy.backends.codex.client_id", null, (o, v) => o.Proxy.Backends.Codex.ClientId = Required(v, "proxy.backends.codex.client_id")),
            new("proxy.backends.codex.scope", null, (o, v) => o.Proxy.Backends.Codex.Scope = Required(v, "proxy.backends.codex.scope")),
            new("proxy.backends.codex.default_instructions", null, (o, v) => o.Proxy.Backends.Codex.DefaultInstructions = v),

            new("proxy.backends.anthropic.credentials_path", "GODEX_ANTHROPIC_CREDENTIALS_PATH", (o, v) => o.Proxy.Backends.Anthropic.CredentialsPath = Empty(v)),
            new("proxy.backends.anthropic.api_key", "GODEX_ANTHROPIC_API_KEY", (o, v) => o.Proxy.Backends.Anthropic.ApiKey = Empty(v)),
            new("proxy.backends.anthropic.api_key_env", null, (o, v) => o.Proxy.Backends.Anthropic.ApiKeyEnv = v.Trim()),
            new("proxy.backends.anthropic.default_max_tokens", null, (o, v) => o.Proxy.Backends.Anthropic.DefaultMaxTokens = Positive(ConfigValues.ParseInt(v, "proxy.backends.anthropic.default_max_tokens"), "proxy.backends.anthropic.default_max_tokens")),
            new("proxy.backends.anthropic.anthropic_version", null, (o, v) => o.Proxy.Backends.Anthropic.AnthropicVersion = Required(v, "proxy.backends.anthropic.anthropic_version")),
            new("proxy.backends.anthropic.oauth_system_prefix", null, (o, v) => o.Proxy.Backends.Anthropic.OAuthSystemPrefix = v),
            new("proxy.backends.anthropic.user_agent", null, (o, v) => o.Proxy.Backends.Anthropic.UserAgent = Required(v, "proxy.backends.anthropic.user_agent")),
            new("proxy.backends.anthropic.allow_refresh", null, (o, v) => o.Proxy.Backends.Anthropic.AllowRefresh = ConfigValues.ParseBool(v, "proxy.backends.anthropic.allow_refresh")),
            new("proxy.backends.anthropic.refresh_url", "GODEX_ANTHROPIC_REFRESH_URL", (o, v) => o.Proxy.Backends.Anthropic.RefreshUrl = ConfigValues.ParseUrl(v, "proxy.backends.anthropic.refresh_url")),
            new("proxy.backends.anthropic.client_id", null, (o, v) => o.Proxy.Backends.Anthropic.ClientId = Required(v, "proxy.backends.anthropic.client_id")),
            new("proxy.backends.anthropic.refresh_skew", null, (o, v) => o.Proxy.Backends.Anthropic.RefreshSkew = ConfigValues.ParseDuration(v, "proxy.backends.anthropic.refresh_skew")),

            new("proxy.pool.strategy", "GODEX_POOL_STRATEGY", (o, v) => o.Proxy.Pool.Strategy = ParseStrategy(v, "proxy.pool.strategy")),
            new("proxy.pool.affinity_ttl", null, (o, v) => o.Proxy.Pool.AffinityTtl = PositiveDuration(ConfigValues.ParseDuration(v, "proxy.pool.affinity_ttl"), "proxy.pool.affinity_ttl")),
            new("proxy.pool.max_failover", null, (o, v) => o.Proxy.Pool.MaxFailover = Positive(ConfigValues.ParseInt(v, "proxy.pool.max_failover"), "proxy.pool.max_failover")),
            new("proxy.pool.quota_threshold", null, (o, v) => o.Proxy.Pool.QuotaThreshold = Positive(ConfigValues.ParseInt(v, "proxy.pool.quota_threshold"), "proxy.pool.quota_threshold")),
            new("proxy.pool.transient_cooldown", null, (o, v) => o.Proxy.Pool.TransientCooldown = ConfigValues.ParseDuration(v, "proxy.pool.transient_cooldown")),
            new("proxy.pool.rate_limit_cooldown", null, (o, v) => o.Proxy.Pool.RateLimitCooldown = ConfigValues.ParseDuration(v, "proxy.pool.rate_limit_cooldown")),
            new("proxy.pool.login_suspend", null, (o, v) => o.Proxy.Pool.LoginSuspend = ConfigValues.ParseDuration(v, "proxy.pool.login_suspend")),

            new("routing.default", "GODEX_ROUTING_DEFAULT", (o, v) => o.Routing.Default = Empty(v)),

            new("exec.model", "GODEX_EXEC_MODEL", (o, v) => o.Exec.Model = Required(v, "exec.model")),
            new("exec.instructions", "GODEX_EXEC_INSTRUCTIONS", (o, v) => o.Exec.Instructions = v),
            new("exec.append_system_prompt", "GODEX_EXEC_APPEND_SYSTEM_PROMPT", (o, v) => o.Exec.AppendSystemPrompt = Empty(v)),
            new("exec.tool_choice", "GODEX_EXEC_TOOL_CHOICE", (o, v) => o.Exec.ToolChoice = Required(v, "exec.tool_choice")),
            new("exec.timeout", "GODEX_EXEC_TIMEOUT", (o, v) => o.Exec.Timeout = ConfigValues.ParseDuration(v, "exec.timeout")),
            new("exec.auto_tools_max_steps", "GODEX_EXEC_AUTO_TOOLS_MAX_STEPS", (o, v) => o.Exec.AutoToolsMaxSteps = Positive(ConfigValues.ParseInt(v, "exec.auto_tools_max_steps"), "exec.auto_tools_max_steps")),
            new("exec.allow_refresh", "GODEX_EXEC_ALLOW_REFRESH", (o, v) => o.Exec.AllowRefresh = ConfigValues.ParseBool(v, "exec.allow_refresh")),
            new("exec.auto_tools", "GODEX_EXEC_AUTO_TOOLS", (o, v) => o.Exec.AutoTools = ConfigValues.ParseBool(v, "exec.auto_tools")),
            new("exec.mock", "GODEX_EXEC_MOCK", (o, v) => o.Exec.Mock = ConfigValues.ParseBool(v, "exec.mock")),
            new("exec.web_search", "GODEX_EXEC_WEB_SEARCH", (o, v) => o.Exec.WebSearch = ConfigValues.ParseBool(v, "exec.web_search")),
            new("exec.mock_mode", "GODEX_EXEC_MOCK_MODE", (o, v) => o.Exec.MockMode = ConfigValues.ParseChoice(v, "exec.mock_mode", "echo", "text", "tool-call", "tool-loop")),
        };

        AddUpstreamKeys(keys, "codex", "GODEX_CODEX", o => o.Proxy.Backends.Codex);
        AddUpstreamKeys(keys, "anthropic", "GODEX_ANTHROPIC", o => o.Proxy.Backends.Anthropic);
        return keys;
    }

    private static void AddUpstreamKeys(List<Key> keys, string name, string envPrefix, Func<GodexOptions, UpstreamOptions> select)
    {
        string p = "proxy.backends." + name + ".";
        keys.Add(new(p + "enabled", envPrefix + "_ENABLED", (o, v) => select(o).Enabled = ConfigValues.ParseBool(v, p + "enabled")));
        keys.Add(new(p + "base_url", envPrefix + "_BASE_URL", (o, v) => select(o).BaseUrl = ConfigValues.ParseUrl(v, p + "base_url")));
        keys.Add(new(p + "retry_max", null, (o, v) => select(o).RetryMax = NonNegative(ConfigValues.ParseInt(v, p + "retry_max"), p + "retry_max")));
        keys.Add(new(p + "retry_delay", null, (o, v) => select(o).RetryDelay = ConfigValues.ParseDuration(v, p + "retry_delay")));
        keys.Add(new(p + "retry_max_wait", null, (o, v) => select(o).RetryMaxWait = ConfigValues.ParseDuration(v, p + "retry_max_wait")));
        keys.Add(new(p + "connect_timeout", null, (o, v) => select(o).ConnectTimeout = PositiveDuration(ConfigValues.ParseDuration(v, p + "connect_timeout"), p + "connect_timeout")));
        keys.Add(new(p + "idle_timeout", null, (o, v) => select(o).IdleTimeout = PositiveDuration(ConfigValues.ParseDuration(v, p + "idle_timeout"), p + "idle_timeout")));
        keys.Add(new(p + "max_event_bytes", null, (o, v) => select(o).MaxEventBytes = AtLeast(ConfigValues.ParseBytes(v, p + "max_event_bytes"), 64 * 1024, p + "max_event_bytes")));
        keys.Add(new(p + "total_timeout", null, (o, v) => select(o).TotalTimeout = PositiveDuration(ConfigValues.ParseDuration(v, p + "total_timeout"), p + "total_timeout")));
        keys.Add(new(p + "strategy", null, (o, v) => select(o).Strategy = ParseStrategy(v, p + "strategy")));
    }

    /// <summary>An account strategy name (<see cref="PoolOptions.Strategy"/>).</summary>
    public static string ParseStrategy(string value, string key) =>
        ConfigValues.ParseChoice(value, key, "round-robin", "fill-first", "least-used");

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Required(string value, string key) =>
        string.IsNullOrWhiteSpace(value) ? throw new ConfigException($"{key}: must not be empty") : value.Trim();

    internal static T Positive<T>(T value, string key)
        where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ConfigException($"{key}: must be greater than zero, got {value}");

    internal static TimeSpan PositiveDuration(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new ConfigException($"{key}: must be longer than zero, got {value}");

    private static int AtLeast(long value, long minimum, string key) =>
        value >= minimum && value <= int.MaxValue ? (int)value : throw new ConfigException($"{key}: must be between {minimum} and {int.MaxValue} bytes, got {value}");

    internal static int NonNegative(int value, string key) =>
        value >= 0 ? value : throw new ConfigException($"{key}: must not be negative, got {value}");
}
