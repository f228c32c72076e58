namespace Godex.Core.Configuration;

/// <summary>
/// Everything godex can be configured with. Layered: these defaults &lt; the YAML file &lt; <c>GODEX_*</c>
/// environment variables &lt; command-line flags (<c>ConfigLoader</c>). Key names follow the original godex;
/// <c>docs/config.template.yaml</c> documents each one.
/// </summary>
public sealed class GodexOptions
{
    public ProxyOptions Proxy { get; set; } = new();
    public RoutingOptions Routing { get; set; } = new();
    public ExecOptions Exec { get; set; } = new();

    /// <summary>Which layer set each key (the dashboard's Config page); not configuration itself.</summary>
    public ConfigSources Sources { get; } = new();
}

/// <summary>The <c>proxy:</c> section.</summary>
public sealed class ProxyOptions
{
    /// <summary>host:port to listen on. <value>The default value is <c>127.0.0.1:39001</c>.</value></summary>
    public string Listen { get; set; } = "127.0.0.1:39001";

    /// <summary>A static client key; when set (and <see cref="AllowAnyKey"/> is off) every /v1 request must present it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Accept any client key, or none (local development). <value>The default value is <see langword="false"/>.</value></summary>
    public bool AllowAnyKey { get; set; }

    /// <summary>The model used when a request names none. <value>The default value is <c>gpt-5.2-codex</c>.</value></summary>
    public string Model { get; set; } = "gpt-5.2-codex";

    /// <summary><c>trace|debug|info|warn|error</c>. <value>The default value is <c>info</c>.</value></summary>
    public string LogLevel { get; set; } = "info";

    /// <summary>One log line per request (method, path, model, backend, status, latency). Never bodies or keys.</summary>
    public bool LogRequests { get; set; }

    /// <summary>The largest request body accepted, in bytes. <value>The default value is 20 MiB.</value></summary>
    public long MaxRequestBodyBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// The request-body bytes held in memory at once across all requests; a request that would pass it gets 503 with
    /// Retry-After. Never below <see cref="MaxRequestBodyBytes"/>. <value>The default value is 80 MiB.</value>
    /// </summary>
    public long MaxInFlightBodyBytes { get; set; } = 80 * 1024 * 1024;

    /// <summary>How long a client may take to send its request line and headers (else 408). <value>The default value is 30 s.</value></summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>auto</c>: serve from the built-in simulator when no backend has a login; <c>on</c>: always; <c>off</c>: never.
    /// <value>The default value is <c>auto</c>.</value>
    /// </summary>
    public string Simulator { get; set; } = "auto";

    /// <summary>How long <c>/v1/models</c> caches discovery. <value>The default value is 5 minutes.</value></summary>
    public TimeSpan ModelsCacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a stored Responses-API response (<c>store</c> not false) stays available to <c>previous_response_id</c>
    /// and <c>GET /v1/responses/{id}</c>. <value>The default value is 7 days.</value>
    /// </summary>
    public TimeSpan ResponsesTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The SQLite file with client keys, the usage ledger and stored responses (<c>~</c> expanded); <c>off</c> runs
    /// without one (no client keys, no ledger). <value>The default value is <c>~/.godex/godex.db</c>.</value>
    /// </summary>
    public string Database { get; set; } = "~/.godex/godex.db";

    /// <summary>The original godex's key file, read by <c>godex proxy keys import</c>. <value>The default value is <c>~/.codex/proxy-keys.json</c>.</value></summary>
    public string KeysPath { get; set; } = "~/.codex/proxy-keys.json";

    /// <summary>Request rate of client keys that set none (<c>N/s|m|h</c>); empty = unlimited. <value>The default value is <c>60/m</c>.</value></summary>
    public string? DefaultRate { get; set; } = "60/m";

    /// <summary>Token-bucket capacity of client keys that set none. <value>The default value is 10.</value></summary>
    public int DefaultBurst { get; set; } = 10;

    /// <summary>Token quota given to keys created without <c>--quota-tokens</c>; 0 = unlimited. <value>The default value is 0.</value></summary>
    public long DefaultQuotaTokens { get; set; }

    /// <summary>Length of a quota window, aligned to the Unix epoch (UTC). <value>The default value is 24 h.</value></summary>
    public TimeSpan MeterWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The admin API's Unix socket (mode 0600); <c>off</c> disables it. <value>The default value is <c>~/.godex/admin.sock</c>.</value></summary>
    public string AdminSocket { get; set; } = "~/.godex/admin.sock";

    /// <summary>When set, the admin API is also served on HTTP <c>/admin/*</c> to requests bearing this key.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Bounds of the signed reasoning godex keeps for clients that cannot send it back (<c>proxy.reasoning_cache</c>).</summary>
    public ReasoningCacheOptions ReasoningCache { get; set; } = new();

    public BackendsOptions Backends { get; set; } = new();

    /// <summary>The <c>proxy.pool:</c> section: account selection, failover and cooldowns.</summary>
    public PoolOptions Pool { get; set; } = new();

    /// <summary>The <c>proxy.payments:</c> section (L402 over Lightning).</summary>
    public PaymentsOptions Payments { get; set; } = new();

    /// <summary><c>text</c> (one line per event) or <c>json</c> (one JSON object per event and per request). <value>The default value is <c>text</c>.</value></summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>The <c>proxy.metrics:</c> section (Prometheus <c>GET /metrics</c>).</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>The <c>proxy.tracing:</c> section (OpenTelemetry traces over OTLP).</summary>
    public TracingOptions Tracing { get; set; } = new();

    /// <summary>Audit JSONL: one line per <c>/v1</c> request (metadata; the request body with <see cref="AuditBodies"/>). Empty = off.</summary>
    public string? AuditPath { get; set; }

    /// <summary>Size at which the audit file is rotated. <value>The default value is 10 MiB.</value></summary>
    public long AuditMaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Rotated audit files kept (<c>audit.jsonl.1</c> …). <value>The default value is 3.</value></summary>
    public int AuditMaxBackups { get; set; } = 3;

    /// <summary>Put each request's body into its audit line (replayable). <value>The default value is <see langword="false"/>.</value></summary>
    public bool AuditBodies { get; set; }

    /// <summary>Trace JSONL: each request's body in and its answer out, keyed by request id (what <c>proxy replay</c> reads). Empty = off.</summary>
    public string? TracePath { get; set; }

    /// <summary>Size at which the trace file (and the upstream audit file) is rotated. <value>The default value is 25 MiB.</value></summary>
    public long TraceMaxBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Rotated trace files kept. <value>The default value is 5.</value></summary>
    public int TraceMaxBackups { get; set; } = 5;

    /// <summary>Upstream audit JSONL: the exact body godex sends upstream and the upstream's status, per call. Empty = off.</summary>
    public string? UpstreamAuditPath { get; set; }

    /// <summary>List prices by model pattern (<c>*</c> wildcard), before the built-in ones; the first match in file order wins.</summary>
    public List<KeyValuePair<string, ModelPrice>> Prices { get; set; } = [];
}

/// <summary>The <c>proxy.metrics:</c> section.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>GET /metrics</c> and count. <value>The default value is <see langword="false"/>.</value></summary>
    public bool Enabled { get; set; }

    /// <summary>A separate <c>host:port</c> that serves <c>/metrics</c> alone; empty = the proxy's own listener.</summary>
    public string? Listen { get; set; }

    /// <summary>Ask scrapers for <c>Authorization: Bearer &lt;proxy.admin_key&gt;</c>. <value>The default value is <see langword="false"/>.</value></summary>
    public bool RequireAdminKey { get; set; }
}

/// <summary>The <c>proxy.tracing:</c> section.</summary>
public sealed class TracingOptions
{
    /// <summary>Export a span per request (and per upstream call) over OTLP. <value>The default value is <see langword="false"/>.</value></summary>
    public bool Enabled { get; set; }

    /// <summary>The OTLP/HTTP collector (<c>/v1/traces</c> is added when missing). <value>The default value is <c>http://127.0.0.1:4318</c>.</value></summary>
    public string Endpoint { get; set; } = "http://127.0.0.1:4318";

    /// <summary>Headers sent to the collector: <c>name=value,name2=value2</c> (an API key, a tenant).</summary>
    public string? Headers { get; set; }

    /// <summary>Share of new traces recorded (0–1); a client's sampled <c>traceparent</c> is always followed. <value>The default value is 1.</value></summary>
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>Send <c>traceparent</c> to the upstream (Anthropic, the Codex backend). <value>The default value is <see langword="false"/>.</value></summary>
    public bool Propagate { get; set; }
}

/// <summary>
/// The <c>proxy.reasoning_cache:</c> section: how much signed reasoning (Anthropic thinking blocks, Responses encrypted
/// reasoning) godex keeps, by tool call id and client key, for clients whose dialect drops it between turns.
/// </summary>
public sealed class ReasoningCacheOptions
{
    /// <summary>Turns kept at most (0 turns the cache off). <value>The default value is 2048.</value></summary>
    public int MaxEntries { get; set; } = 2048;

    /// <summary>Bytes of reasoning kept at most. <value>The default value is 64 MiB.</value></summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long a turn's reasoning stays restorable. <value>The default value is 1 hour.</value></summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The <c>proxy.payments:</c> section: L402 pay-per-use access, natively (macaroons + a Lightning node) or through the
/// original's external token-meter service.
/// </summary>
public sealed class PaymentsOptions
{
    /// <summary>Payments are off unless enabled. <value>The default value is <see langword="false"/>.</value></summary>
    public bool Enabled { get; set; }

    /// <summary><c>l402</c> (native) is the only provider.</summary>
    public string Provider { get; set; } = "l402";

    /// <summary>The original's external token-meter service; when set, challenges, redemptions and pricing go there.</summary>
    public string? TokenMeterUrl { get; set; }

    /// <summary>The root keys macaroons are signed with (<c>--macaroon-key</c>).</summary>
    public string MacaroonKeyPath { get; set; } = "~/.godex/macaroon-keys.json";

    /// <summary>The append-only ledger of redeemed payment hashes (<c>--l402-redeemed-path</c>).</summary>
    public string RedeemedPath { get; set; } = "~/.godex/l402-redeemed.jsonl";

    /// <summary>What one 402 challenge asks for, in satoshis; that amount becomes the token's credit.</summary>
    public long InvoiceSat { get; set; } = 1000;

    /// <summary>How long an unpaid invoice stays payable.</summary>
    public TimeSpan InvoiceExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a paid token stays valid (its <c>godex_valid_until</c> caveat).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The price of models no <see cref="Prices"/> pattern matches: <c>in=SATS,out=SATS,request=SATS</c>.</summary>
    public L402Price DefaultPrice { get; set; } = new(1m, 4m, 0m);

    /// <summary>Prices by model pattern (<c>*</c> wildcard); the first match in file order wins.</summary>
    public List<KeyValuePair<string, L402Price>> Prices { get; set; } = [];

    /// <summary>The Lightning node that issues invoices.</summary>
    public LightningOptions Lnd { get; set; } = new();
}

/// <summary>
/// A model's price in satoshis: per 1,000 input tokens, per 1,000 output tokens, and per request. Written
/// <c>in=1,out=4,request=0</c> in the config (decimals allowed: <c>in=0.25</c>).
/// </summary>
public sealed record L402Price(decimal InputSatPer1k, decimal OutputSatPer1k, decimal RequestSat)
{
    /// <summary>The cost of one request in millisatoshis (1 sat per 1k tokens = 1 msat per token), rounded up.</summary>
    public long CostMsat(long inputTokens, long outputTokens) =>
        (long)Math.Ceiling((inputTokens * InputSatPer1k) + (outputTokens * OutputSatPer1k) + (RequestSat * 1000m));

    public static L402Price Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        decimal input = 0, output = 0, request = 0;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? part : part[..equals].Trim();
            if (equals < 0 || !decimal.TryParse(part[(equals + 1)..].Trim(), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out decimal value))
            {
                throw new ConfigException($"{path}: expected in=SATS,out=SATS,request=SATS (sats per 1k tokens, per request), got '{text}'");
            }

            switch (name)
            {
                case "in": input = value; break;
                case "out": output = value; break;
                case "request": request = value; break;
                default: throw new ConfigException($"{path}: unknown price component '{name}' (in, out, request)");
            }
        }

        return new L402Price(input, output, request);
    }
}

/// <summary>The <c>proxy.payments.lnd:</c> section: an LND node's REST API.</summary>
public sealed class LightningOptions
{
    /// <summary>LND's REST endpoint, e.g. <c>https://127.0.0.1:8080</c>.</summary>
    public string? Url { get; set; }

    /// <summary>An invoice macaroon file (binary or hex), sent as <c>Grpc-Metadata-macaroon</c>.</summary>
    public string? MacaroonPath { get; set; }

    /// <summary>LND's <c>tls.cert</c>: the only certificate the client accepts (pinned).</summary>
    public string? TlsCertPath { get; set; }
}

/// <summary>The <c>proxy.backends:</c> section.</summary>
public sealed class BackendsOptions
{
    public CodexBackendOptions Codex { get; set; } = new();
    public AnthropicBackendOptions Anthropic { get; set; } = new();

    /// <summary>OpenAI-compatible upstreams (<c>proxy.backends.custom.&lt;name&gt;</c>), in file order.</summary>
    public List<CustomBackendOptions> Custom { get; set; } = [];
}

/// <summary>Settings every HTTP upstream shares.</summary>
public abstract class UpstreamOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Base URL of the upstream; point it at any server that speaks the wire (the simulator, a test server).</summary>
    public abstract string BaseUrl { get; set; }

    /// <summary>Retries on 429/5xx before the first byte. <value>The default value is 2.</value></summary>
    public int RetryMax { get; set; } = 2;

    /// <summary>Base delay between retries when the upstream gives no Retry-After. <value>The default value is 500 ms.</value></summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait godex honours from a Retry-After before giving the error to the client instead.</summary>
    public TimeSpan RetryMaxWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time to connect and receive the response headers, per attempt (retries each get it again). An upstream that
    /// accepts the connection and never answers is a 504 after it. A generation asked for without a stream sends its
    /// headers only with the whole answer: its headers wait is <see cref="TotalTimeout"/> (the connection itself still
    /// gets this). <value>The default value is 60 s.</value>
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest time an upstream body may go without a whole event (a stream) or without a byte (a JSON answer) before
    /// it is cut: a 504 before the client's first byte, an in-band error after it. Counting whole events means an
    /// upstream that trickles bytes without finishing an event is cut too. <value>The default value is 300 s.</value>
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Longest time for a whole answer a client did not ask to stream (godex reads all of it before replying), counted
    /// from the send. <value>The default value is 600 s.</value>
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// The largest single upstream event (or JSON answer) godex holds; a larger one is a 502. Memory per upstream body
    /// stays below about twice this. <value>The default value is 16 MiB.</value>
    /// </summary>
    public int MaxEventBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Static model list, merged with live discovery.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>
    /// The backend's logins (<c>accounts:</c>); empty means the one login of the backend's own settings, as the account
    /// <c>default</c>. Accounts added with <c>godex accounts add|login</c> are served beside these.
    /// </summary>
    public List<AccountOptions> Accounts { get; set; } = [];

    /// <summary>This backend's account strategy; null means <c>proxy.pool.strategy</c>.</summary>
    public string? Strategy { get; set; }
}

/// <summary>The ChatGPT Codex backend (<c>proxy.backends.codex</c>).</summary>
public sealed class CodexBackendOptions : UpstreamOptions
{
    public override string BaseUrl { get; set; } = "https://chatgpt.com/backend-api/codex";

    /// <summary>Path of the Codex CLI login; empty means <c>$CODEX_HOME/auth.json</c>, else <c>~/.codex/auth.json</c>.</summary>
    public string? AuthPath { get; set; }

    public string Originator { get; set; } = "codex_cli_rs";

    public string UserAgent { get; set; } = "codex_cli_rs/0.0 (godex)";

    /// <summary>Refresh the OAuth token on expiry or a 401. <value>The default value is <see langword="true"/>.</value></summary>
    public bool AllowRefresh { get; set; } = true;

    public string RefreshUrl { get; set; } = "https://auth.openai.com/oauth/token";

    public string ClientId { get; set; } = "app_EMoamEEZ73f0CkXaXp7hrann";

    public string Scope { get; set; } = "openid profile email";

    /// <summary>Sent when the client gave no instructions (the backend requires the field).</summary>
    public string DefaultInstructions { get; set; } = "You are a helpful assistant.";

    public CodexBackendOptions()
    {
        Models = ["gpt-5.5", "gpt-5.4", "gpt-5.3-codex", "gpt-5.2-codex", "gpt-5.2", "gpt-5.1-codex-mini", "gpt-5-mini"];
    }
}

/// <summary>The Anthropic Messages API (<c>proxy.backends.anthropic</c>).</summary>
public sealed class AnthropicBackendOptions : UpstreamOptions
{
    public override string BaseUrl { get; set; } = "https://api.anthropic.com";

    /// <summary>Claude Code's login; empty means <c>~/.claude/.credentials.json</c> (or <c>$CLAUDE_CONFIG_DIR</c>).</summary>
    public string? CredentialsPath { get; set; }

    /// <summary>An API key (sent as <c>x-api-key</c>); wins over the OAuth login when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Environment variable read for an API key when <see cref="ApiKey"/> is empty.</summary>
    public string ApiKeyEnv { get; set; } = "ANTHROPIC_API_KEY";

    /// <summary><c>max_tokens</c> when the client sets none (Anthropic requires it). <value>The default value is 8192.</value></summary>
    public int DefaultMaxTokens { get; set; } = 8192;

    public string AnthropicVersion { get; set; } = "2023-06-01";

    /// <summary>Beta flags sent with OAuth credentials (the ones a Claude Code client sends).</summary>
    public List<string> OAuthBetas { get; set; } = ["oauth-2025-04-20", "claude-code-20250219", "interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"];

    /// <summary>The first system block OAuth tokens require.</summary>
    public string OAuthSystemPrefix { get; set; } = "You are Claude Code, Anthropic's official CLI for Claude.";

    public string UserAgent { get; set; } = "claude-cli/2.1.197 (external, cli)";

    public bool AllowRefresh { get; set; } = true;

    /// <summary>The OAuth token URL (it has moved twice: console.anthropic.com, api.anthropic.com, platform.claude.com).</summary>
    public string RefreshUrl { get; set; } = "https://platform.claude.com/v1/oauth/token";

    public string ClientId { get; set; } = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

    /// <summary>Refresh this long before expiry. <value>The default value is 5 minutes.</value></summary>
    public TimeSpan RefreshSkew { get; set; } = TimeSpan.FromMinutes(5);

    public AnthropicBackendOptions()
    {
        Models = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"];
    }
}

/// <summary>The <c>routing:</c> section.</summary>
public sealed class RoutingOptions
{
    /// <summary>
    /// Backend for models no pattern matches, as in the original; a configured empty value (<c>default: ""</c>)
    /// rejects such models with 404 instead. <value>The default value is <c>codex</c>.</value>
    /// </summary>
    public string? Default { get; set; } = "codex";

    /// <summary>Backend → model-name prefixes, checked in this order (config order), first match wins.</summary>
    public List<KeyValuePair<string, List<string>>> Patterns { get; set; } =
    [
        new("codex", ["gpt-", "o1", "o3", "o4", "codex-", "chatgpt-"]),
        // The original's patterns: the bare family names are prefixes too (sonnet-4, opus-latest go to Anthropic).
        new("anthropic", ["claude-", "sonnet", "opus", "haiku"]),
    ];

    /// <summary>User aliases (alias → model); they win over the built-in ones.</summary>
    public Dictionary<string, string> Aliases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Model → the models to use instead, in order, while every account of its backend is cooling down
    /// (<c>routing.fallbacks</c>).
    /// </summary>
    public Dictionary<string, List<string>> Fallbacks { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The <c>exec:</c> section (defaults for <c>godex exec</c>).</summary>
public sealed class ExecOptions
{
    public string Model { get; set; } = "gpt-5.2-codex";
    public string Instructions { get; set; } = "You are a helpful assistant.";
    public string? AppendSystemPrompt { get; set; }
    public string ToolChoice { get; set; } = "auto";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(90);
    public int AutoToolsMaxSteps { get; set; } = 4;
    public string MockMode { get; set; } = "echo";

    /// <summary>Let exec refresh an expiring Codex login over the network. <value>The default value is <see langword="false"/>.</value></summary>
    public bool AllowRefresh { get; set; }

    /// <summary>Run the tool loop with <c>--tool-output</c> answers. <value>The default value is <see langword="false"/>.</value></summary>
    public bool AutoTools { get; set; }

    /// <summary>Answer with a synthetic stream (no credentials, no network). <value>The default value is <see langword="false"/>.</value></summary>
    public bool Mock { get; set; }

    /// <summary>Send the backend's hosted web search tool. <value>The default value is <see langword="false"/>.</value></summary>
    public bool WebSearch { get; set; }
}
