using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// The Anthropic provider's credential: an API key when one is configured (<see cref="AnthropicBackendOptions.ApiKey"/>
/// or the <see cref="AnthropicBackendOptions.ApiKeyEnv"/> variable; it wins over OAuth), else Claude Code's OAuth login
/// from <c>.credentials.json</c>.
/// <para>
/// OAuth tokens live about an hour. Before one expires (<see cref="AnthropicBackendOptions.RefreshSkew"/>) the file is
/// re-read first, because Claude Code refreshes it itself; only a token that is still expiring is refreshed here:
/// </para>
/// <code>
///   callers ──► one in-process refresh task (single flight)
///                 1. take the cross-process lock (path.lock) ── shared with other godex processes
///                 2. re-read the file under the lock: someone else refreshed? use theirs
///                 3. POST refresh_token to the token URL
///                 4. change only accessToken/refreshToken/expiresAt; write atomically; every other key survives
/// </code>
/// A failure is a <see cref="CredentialException"/> whose message may reach a client (as the backend's 401): it names
/// the file by its name only, and the full message, with the server's path, goes to the log.
/// </summary>
public sealed partial class ClaudeCredentialStore
{
    private const string OAuthKey = "claudeAiOauth";
    private const string LoginAgainHint = "run `claude` to log in again";
    private const string LoginHint = "log in with `claude` (then /login), or set an Anthropic API key";
    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_refreshTimeout = TimeSpan.FromSeconds(30);

    private readonly AnthropicBackendOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly string? _apiKey;
    private readonly ClaudeCredential? _apiKeyCredential; // one for every request: a credential is immutable
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile OAuthState? _current;
    private Task<OAuthState>? _refresh;

    public ClaudeCredentialStore(AnthropicBackendOptions options, HttpClient http, TimeProvider time, ILogger<ClaudeCredentialStore>? logger = null)
        : this(options, ResolvePath(options), ResolveApiKey(options), http, time, logger)
    {
    }

    /// <summary>
    /// A store for one account of the backend's pool: the login at <paramref name="path"/> (<c>~/</c> expanded), or
    /// <paramref name="apiKey"/> when given.
    /// </summary>
    public ClaudeCredentialStore(AnthropicBackendOptions options, string path, string? apiKey, HttpClient http, TimeProvider time, ILogger<ClaudeCredentialStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _http = http;
        _time = time;
        _logger = logger ?? NullLogger<ClaudeCredentialStore>.Instance;
        _apiKey = string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim();
        _apiKeyCredential = _apiKey is null ? null : new ClaudeCredential(_apiKey, IsApiKey: true, ExpiresAt: null, SubscriptionType: null);
        Path = ExpandHome(path);
    }

    /// <summary>A leading <c>~/</c> as the home folder.</summary>
    internal static string ExpandHome(string path)
    {
        string trimmed = path.Trim();
        return trimmed == "~" || trimmed.StartsWith("~/", StringComparison.Ordinal)
            ? System.IO.Path.Combine(UserHome.Directory, trimmed.TrimStart('~').TrimStart('/'))
            : trimmed;
    }

    /// <summary>The credentials file this store reads (also when an API key is in use).</summary>
    public string Path { get; }

    /// <summary>True when an API key is configured: no file is read.</summary>
    public bool IsApiKey => _apiKey is not null;

    /// <summary>
    /// The credentials file: <see cref="AnthropicBackendOptions.CredentialsPath"/> (a leading <c>~/</c> is the home
    /// folder), else <c>$CLAUDE_CONFIG_DIR/.credentials.json</c>, else <c>~/.claude/.credentials.json</c>.
    /// </summary>
    public static string ResolvePath(AnthropicBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string home = UserHome.Directory;
        if (!string.IsNullOrWhiteSpace(options.CredentialsPath))
        {
            string configured = options.CredentialsPath.Trim();
            return configured == "~" || configured.StartsWith("~/", StringComparison.Ordinal)
                ? System.IO.Path.Combine(home, configured.TrimStart('~').TrimStart('/'))
                : configured;
        }

        string? configDir = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR");
        return !string.IsNullOrWhiteSpace(configDir)
            ? System.IO.Path.Combine(configDir, ".credentials.json")
            : System.IO.Path.Combine(home, ".claude", ".credentials.json");
    }

    /// <summary>True when an API key is configured or the credentials file holds a Claude Code login.</summary>
    public static bool HasLogin(AnthropicBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (ResolveApiKey(options) is not null)
        {
            return true;
        }

        return HasLogin(ResolvePath(options));
    }

    /// <summary>True when the credentials file at <paramref name="path"/> holds a Claude Code login.</summary>
    public static bool HasLogin(string path)
    {
        path = ExpandHome(path);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            ParseState(CredentialFile.Read(path, LoginHint), path);
            return true;
        }
        catch (CredentialException)
        {
            return false;
        }
    }

    /// <summary>
    /// The credential to send. With <paramref name="forceRefresh"/> (after an upstream 401) the OAuth token is
    /// refreshed even if it looks valid, unless the file already holds a newer one. Concurrent callers share one
    /// refresh. Throws <see cref="CredentialException"/> with a message for the user when there is no usable login.
    /// </summary>
    public async ValueTask<ClaudeCredential> GetAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        try
        {
            return await GetCoreAsync(forceRefresh, cancellationToken);
        }
        catch (CredentialException ex) when (NamesPath(ex))
        {
            throw ForClient(ex);
        }
    }

    private async ValueTask<ClaudeCredential> GetCoreAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        if (_apiKeyCredential is not null)
        {
            return _apiKeyCredential;
        }

        OAuthState? state = _current;
        if (!forceRefresh)
        {
            if (state is not null && !IsExpiring(state))
            {
                return state.ToCredential();
            }

            // Claude Code refreshes the file itself: read it before spending a refresh token.
            state = Load();
            if (!IsExpiring(state))
            {
                return state.ToCredential();
            }
        }

        state ??= Load();
        OAuthState refreshed = await RefreshAsync(state.AccessToken, forceRefresh, cancellationToken);
        return refreshed.ToCredential();
    }

    /// <summary>
    /// After the upstream rejected <paramref name="rejected"/> (HTTP 401): a newer token when another caller or process
    /// already has one, else a forced refresh. Throws <see cref="CredentialException"/> when that is not possible.
    /// </summary>
    public async ValueTask<ClaudeCredential> RefreshAfterRejectionAsync(ClaudeCredential rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        if (rejected.IsApiKey)
        {
            throw new CredentialException("the Anthropic API key was rejected (HTTP 401); check the configured key");
        }

        OAuthState? state = _current;
        if (state is not null && !IsExpiring(state) && !string.Equals(state.AccessToken, rejected.Token, StringComparison.Ordinal))
        {
            return state.ToCredential();
        }

        try
        {
            OAuthState refreshed = await RefreshAsync(rejected.Token, force: true, cancellationToken);
            return refreshed.ToCredential();
        }
        catch (CredentialException ex) when (NamesPath(ex))
        {
            throw ForClient(ex);
        }
    }

    private bool NamesPath(CredentialException ex) => ex.Message.Contains(Path, StringComparison.Ordinal);

    /// <summary>
    /// The failure as a client may see it (the backend answers 401 with its message): the file named by its name
    /// alone; the server's path stays in the log, with the original message.
    /// </summary>
    private CredentialException ForClient(CredentialException ex)
    {
        Log.CredentialFailed(_logger, ex.Message);
        return new CredentialException(ex.Message.Replace(Path, System.IO.Path.GetFileName(Path), StringComparison.Ordinal), ex);
    }

    private OAuthState Load()
    {
        OAuthState state = ParseState(CredentialFile.Read(Path, LoginHint), Path);
        _current = state;
        return state;
    }

    private bool IsExpiring(OAuthState state) =>
        state.ExpiresAt is DateTimeOffset expiresAt && _time.GetUtcNow() + _options.RefreshSkew >= expiresAt;

    private Task<OAuthState> RefreshAsync(string staleToken, bool force, CancellationToken cancellationToken)
    {
        Task<OAuthState> refresh;
        lock (_gate)
        {
            // The shared task runs to completion whichever caller gives up first: it owns the file lock and the write.
            refresh = _refresh ??= RefreshCoreAsync(staleToken, force);
        }

        return refresh.WaitAsync(cancellationToken);
    }

    private async Task<OAuthState> RefreshCoreAsync(string staleToken, bool force)
    {
        // Yield so that _refresh is assigned (under _gate) before the finally below can clear it.
        await Task.Yield();
        try
        {
            using var timeout = new CancellationTokenSource(s_refreshTimeout, _time);
            using IDisposable fileLock = await CredentialFile.LockAsync(Path, s_lockTimeout, timeout.Token);

            JsonObject document = CredentialFile.Read(Path, LoginHint);
            OAuthState state = ParseState(document, Path);
            bool replacedMeanwhile = !string.Equals(state.AccessToken, staleToken, StringComparison.Ordinal);
            if (!IsExpiring(state) && (!force || replacedMeanwhile))
            {
                _current = state;
                return state;
            }

            if (!_options.AllowRefresh)
            {
                throw new CredentialException($"the Claude login in {Path} has expired and token refresh is disabled; {LoginAgainHint}");
            }

            if (string.IsNullOrEmpty(state.RefreshToken))
            {
                throw new CredentialException($"the Claude login in {Path} has expired and has no refresh token; {LoginAgainHint}");
            }

            TokenResponse tokens = await RequestTokensAsync(state.RefreshToken, timeout.Token);
            DateTimeOffset expiresAt = _time.GetUtcNow().AddSeconds(tokens.ExpiresInSeconds);

            var oauth = (JsonObject)document[OAuthKey]!;
            oauth["accessToken"] = tokens.AccessToken;
            if (!string.IsNullOrEmpty(tokens.RefreshToken))
            {
                oauth["refreshToken"] = tokens.RefreshToken;
            }

            // Keep the field's JSON type: Claude Code writes Unix milliseconds as a number.
            oauth["expiresAt"] = oauth["expiresAt"] is JsonValue previous && previous.GetValueKind() == JsonValueKind.String
                ? JsonValue.Create(expiresAt.ToString("O", CultureInfo.InvariantCulture))
                : JsonValue.Create(expiresAt.ToUnixTimeMilliseconds());

            CredentialFile.WriteAtomic(Path, document);
            var refreshed = new OAuthState(
                tokens.AccessToken,
                string.IsNullOrEmpty(tokens.RefreshToken) ? state.RefreshToken : tokens.RefreshToken,
                expiresAt,
                state.SubscriptionType);
            _current = refreshed;
            return refreshed;
        }
        catch (OperationCanceledException ex)
        {
            throw new CredentialException($"refreshing the Claude login in {Path} timed out; {LoginAgainHint}", ex);
        }
        finally
        {
            lock (_gate)
            {
                _refresh = null;
            }
        }
    }

    private async Task<TokenResponse> RequestTokensAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("grant_type"u8, "refresh_token");
            writer.WriteString("refresh_token"u8, refreshToken);
            writer.WriteString("client_id"u8, _options.ClientId);
            writer.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _options.RefreshUrl)
        {
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd("application/json");

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CredentialException($"cannot reach the Claude token endpoint {_options.RefreshUrl} to refresh the login in {Path}: {ex.Message}", ex);
        }

        using (response)
        {
            byte[] payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            try
            {
                using var json = JsonDocument.Parse(payload);
                JsonElement root = json.RootElement;
                if (!response.IsSuccessStatusCode)
                {
                    string reason = StringOrNull(root, "error_description") ?? StringOrNull(root, "error") ?? "no details";
                    throw new CredentialException(
                        $"refreshing the Claude login in {Path} failed (HTTP {(int)response.StatusCode}: {reason}); {LoginAgainHint}");
                }

                string? accessToken = StringOrNull(root, "access_token");
                if (string.IsNullOrEmpty(accessToken))
                {
                    throw new CredentialException($"the Claude token endpoint returned no access_token for the login in {Path}; {LoginAgainHint}");
                }

                long expiresIn = root.TryGetProperty("expires_in", out JsonElement seconds) && seconds.TryGetInt64(out long value) ? value : 3600;
                return new TokenResponse(accessToken, StringOrNull(root, "refresh_token"), expiresIn);
            }
            catch (JsonException)
            {
                throw new CredentialException(
                    $"refreshing the Claude login in {Path} failed (HTTP {(int)response.StatusCode}, not JSON); {LoginAgainHint}");
            }
        }
    }

    private static string? ResolveApiKey(AnthropicBackendOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return options.ApiKey.Trim();
        }

        string? fromEnv = string.IsNullOrWhiteSpace(options.ApiKeyEnv) ? null : Environment.GetEnvironmentVariable(options.ApiKeyEnv);
        return string.IsNullOrWhiteSpace(fromEnv) ? null : fromEnv.Trim();
    }

    private static OAuthState ParseState(JsonObject document, string path)
    {
        if (document[OAuthKey] is not JsonObject oauth)
        {
            throw new CredentialException($"no claudeAiOauth credentials found in {path}; run `claude` and log in");
        }

        string? accessToken = ReadString(oauth, "accessToken");
        if (string.IsNullOrEmpty(accessToken))
        {
            throw new CredentialException($"claudeAiOauth in {path} has no accessToken; run `claude` and log in");
        }

        return new OAuthState(accessToken, ReadString(oauth, "refreshToken"), ReadExpiry(oauth["expiresAt"]), ReadString(oauth, "subscriptionType"));
    }

    private static string? ReadString(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    // Unix milliseconds as a number (Claude Code), or an RFC 3339 string / a numeric string (older tools).
    private static DateTimeOffset? ReadExpiry(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out double ms))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
        }

        if (value.TryGetValue(out string? text))
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long msText))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(msText);
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            {
                return parsed;
            }
        }

        return null;
    }

    private static string? StringOrNull(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private sealed record OAuthState(string AccessToken, string? RefreshToken, DateTimeOffset? ExpiresAt, string? SubscriptionType)
    {
        public ClaudeCredential ToCredential() => new(AccessToken, IsApiKey: false, ExpiresAt, SubscriptionType);

        public override string ToString() => $"OAuthState(expires {ExpiresAt:O})";
    }

    private readonly record struct TokenResponse(string AccessToken, string? RefreshToken, long ExpiresInSeconds);

    // Event ids 2100-2100; next free: 2101.
    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Warning, "Claude login unusable: {Reason}", EventName = "ClaudeCredentialFailed")]
        public static partial void CredentialFailed(ILogger logger, string reason);
    }
}
