using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The Codex CLI login (<c>~/.codex/auth.json</c>): reads the bearer token and account id, refreshes the OAuth access
/// token before it expires or after the upstream rejected it, and writes the rotated tokens back so that the Codex CLI
/// keeps working with the same file.
/// </summary>
/// <remarks>
/// Refresh tokens rotate: two refreshers racing with one refresh token break each other (<c>refresh_token_reused</c>).
/// So a refresh is single flight in this process (callers share one task) and across processes (the file lock, and
/// a re-read under it: when another process already refreshed, its token is used as is).
/// A failure is a <see cref="CredentialException"/> whose message may reach a client (as the backend's 401): it names
/// the file by its name only, and the full message, with the server's path, goes to the log.
/// </remarks>
public sealed partial class CodexCredentialStore
{
    private const string LoginHint = "log in with `codex login`, or point proxy.backends.codex.auth_path at a login";

    /// <summary>Refresh this long before the access token's <c>exp</c>.</summary>
    internal static readonly TimeSpan RefreshSkew = TimeSpan.FromMinutes(5);

    /// <summary>A token minted this recently is not refreshed again on a 401: another refresh would not fix it.</summary>
    internal static readonly TimeSpan FreshRefreshWindow = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);
    private const string AuthClaim = "https://api.openai.com/auth";

    private readonly CodexBackendOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CodexCredential? _current;
    private Task<CodexCredential>? _refresh;
    private DateTimeOffset _lastRefreshAt = DateTimeOffset.MinValue;

    public CodexCredentialStore(CodexBackendOptions options, HttpClient http, TimeProvider time, ILogger<CodexCredentialStore>? logger = null)
        : this(options, ResolvePath(options), http, time, logger)
    {
    }

    /// <summary>A store for the login at <paramref name="path"/> (one account of the backend's pool; <c>~</c> expanded).</summary>
    public CodexCredentialStore(CodexBackendOptions options, string path, HttpClient http, TimeProvider time, ILogger<CodexCredentialStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _http = http;
        _time = time;
        _logger = logger ?? NullLogger<CodexCredentialStore>.Instance;
        Path = ExpandHome(path);
    }

    /// <summary>The auth.json this store reads and writes.</summary>
    public string Path { get; }

    /// <summary><see cref="CodexBackendOptions.AuthPath"/>, else <c>$CODEX_HOME/auth.json</c>, else <c>~/.codex/auth.json</c>.</summary>
    public static string ResolvePath(CodexBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.AuthPath))
        {
            return ExpandHome(options.AuthPath);
        }

        string? codexHome = Environment.GetEnvironmentVariable("CODEX_HOME");
        if (!string.IsNullOrWhiteSpace(codexHome))
        {
            return System.IO.Path.Combine(ExpandHome(codexHome), "auth.json");
        }

        return System.IO.Path.Combine(UserHome.Directory, ".codex", "auth.json");
    }

    /// <summary>True when the login file exists and holds a token godex can use (for the simulator decision at startup).</summary>
    public static bool HasLogin(CodexBackendOptions options) => HasLogin(options, ResolvePath(options));

    /// <summary>True when the login file at <paramref name="path"/> holds a token godex can use.</summary>
    public static bool HasLogin(CodexBackendOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        path = ExpandHome(path);
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            LoginFile login = LoginFile.Parse(CredentialFile.Read(path, LoginHint));
            return login.Bearer is not null || (options.AllowRefresh && login.RefreshToken is not null);
        }
        catch (CredentialException)
        {
            return false;
        }
    }

    /// <summary>
    /// The credential to call the upstream with. Refreshes first when the access token expires within 5 minutes, or
    /// when <paramref name="forceRefresh"/> is set (the upstream answered 401). Concurrent callers share one refresh.
    /// A missing, corrupt or rejected login is a <see cref="CredentialException"/> whose message names the file and
    /// what to do.
    /// </summary>
    public async ValueTask<CodexCredential> GetAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        try
        {
            return await GetCoreAsync(forceRefresh, cancellationToken);
        }
        catch (CredentialException ex) when (ex.Message.Contains(Path, StringComparison.Ordinal))
        {
            // The backend answers the client 401 with this message: the file by its name alone; the path in the log.
            Log.CredentialFailed(_logger, ex.Message);
            throw new CredentialException(ex.Message.Replace(Path, System.IO.Path.GetFileName(Path), StringComparison.Ordinal), ex);
        }
    }

    private async ValueTask<CodexCredential> GetCoreAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        CodexCredential? current;
        Task<CodexCredential>? refresh;
        lock (_gate)
        {
            current = _current;
            refresh = _refresh;
        }

        if (refresh is null)
        {
            if (current is null)
            {
                current = Load();
            }

            bool wanted = forceRefresh ? !IsFreshlyRefreshed() : IsExpiring(current);
            if (!wanted || !CanRefresh(current))
            {
                if (forceRefresh && !CanRefresh(current))
                {
                    // Nothing to refresh here, but the file may have been changed since (a new key, a `codex login`).
                    current = Load();
                }

                return current;
            }

            refresh = StartRefresh(current.BearerToken);
        }

        // Callers wait with their own token; the shared refresh runs to completion for the others.
        return await refresh.WaitAsync(cancellationToken);
    }

    private CodexCredential Load()
    {
        LoginFile login = LoginFile.Parse(CredentialFile.Read(Path, LoginHint));
        CodexCredential credential = login.ToCredential(Path);
        lock (_gate)
        {
            _current = credential;
        }

        return credential;
    }

    private bool CanRefresh(CodexCredential credential) =>
        _options.AllowRefresh && credential.IsChatGpt;

    private bool IsExpiring(CodexCredential credential) =>
        credential.ExpiresAt is DateTimeOffset expires && expires - _time.GetUtcNow() <= RefreshSkew;

    private bool IsFreshlyRefreshed()
    {
        lock (_gate)
        {
            return _time.GetUtcNow() - _lastRefreshAt < FreshRefreshWindow;
        }
    }

    private Task<CodexCredential> StartRefresh(string staleToken)
    {
        lock (_gate)
        {
            if (_refresh is not null)
            {
                return _refresh;
            }

            // Not tied to any caller's token: one caller giving up must not fail the refresh for the others.
            Task<CodexCredential> task = RefreshAsync(staleToken);
            if (!task.IsCompleted)
            {
                _refresh = task;
                _ = task.ContinueWith(
                    completed =>
                    {
                        lock (_gate)
                        {
                            if (ReferenceEquals(_refresh, completed))
                            {
                                _refresh = null;
                            }
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            return task;
        }
    }

    private async Task<CodexCredential> RefreshAsync(string staleToken)
    {
        // Let the caller that started the refresh return to its await before the work starts, so that callers
        // arriving meanwhile find the task in _refresh and join it.
        await Task.Yield();

        using IDisposable fileLock = await CredentialFile.LockAsync(Path, s_lockTimeout, CancellationToken.None);

        // 1. Re-read under the lock: another process (the Codex CLI, another godex) may have refreshed already.
        JsonObject document = CredentialFile.Read(Path, LoginHint);
        LoginFile login = LoginFile.Parse(document);
        if (login.Bearer is not null && !string.Equals(login.Bearer, staleToken, StringComparison.Ordinal))
        {
            CodexCredential theirs = login.ToCredential(Path);
            if (!IsExpiring(theirs))
            {
                Remember(theirs);
                return theirs;
            }
        }

        string refreshToken = login.RefreshToken
            ?? throw new CredentialException($"the Codex login in {Path} has no refresh token; run `codex login`");

        // 2. Ask the token endpoint.
        TokenResponse tokens = await RequestTokensAsync(refreshToken);

        // 3. Write back only the fields we own; everything else in the file survives.
        if (document["tokens"] is not JsonObject tokenObject)
        {
            tokenObject = [];
            document["tokens"] = tokenObject;
        }

        tokenObject["access_token"] = tokens.AccessToken;
        if (tokens.RefreshToken is not null)
        {
            tokenObject["refresh_token"] = tokens.RefreshToken;
        }

        if (tokens.IdToken is not null)
        {
            // Always a JWT string: the Codex CLI cannot read the legacy object form the original godex wrote.
            tokenObject["id_token"] = tokens.IdToken;
        }

        DateTimeOffset now = _time.GetUtcNow();
        document["last_refresh"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        CredentialFile.WriteAtomic(Path, document);

        CodexCredential refreshed = LoginFile.Parse(document).ToCredential(Path);
        lock (_gate)
        {
            _lastRefreshAt = now;
        }

        Remember(refreshed);
        return refreshed;
    }

    private void Remember(CodexCredential credential)
    {
        lock (_gate)
        {
            _current = credential;
        }
    }

    private async Task<TokenResponse> RequestTokensAsync(string refreshToken)
    {
        var body = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("client_id", _options.ClientId);
            writer.WriteString("grant_type", "refresh_token");
            writer.WriteString("refresh_token", refreshToken);
            writer.WriteString("scope", _options.Scope);
            writer.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _options.RefreshUrl)
        {
            Content = new ByteArrayContent(body.WrittenSpan.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new CredentialException($"could not reach the token endpoint {_options.RefreshUrl} to refresh the Codex login in {Path}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            throw new CredentialException($"the token endpoint {_options.RefreshUrl} did not answer within 30 s (Codex login in {Path})", ex);
        }

        using (response)
        {
            byte[] payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return TokenResponse.Parse((int)response.StatusCode, payload, Path);
        }
    }

    internal static string ExpandHome(string path) =>
        path.StartsWith('~')
            ? UserHome.Directory + path[1..]
            : path;

    /// <summary>The fields of auth.json godex reads.</summary>
    private sealed record LoginFile(string Mode, string? Bearer, string? RefreshToken, string? AccountId, string? PlanType)
    {
        public static LoginFile Parse(JsonObject document)
        {
            string? mode = StringOf(document["auth_mode"]);
            string? apiKey = StringOf(document["OPENAI_API_KEY"]);
            var tokens = document["tokens"] as JsonObject;
            string? accessToken = StringOf(tokens?["access_token"]);
            string? refreshToken = StringOf(tokens?["refresh_token"]);

            // id_token is a JWT string; the legacy form is an object {raw_jwt, chatgpt_account_id}.
            JsonNode? idTokenNode = tokens?["id_token"];
            string? idToken = idTokenNode is JsonObject legacy ? StringOf(legacy["raw_jwt"]) : StringOf(idTokenNode);
            JsonObject? idClaims = JwtClaims.TryReadPayload(idToken);
            string? accountId = StringOf(tokens?["account_id"])
                ?? (idTokenNode is JsonObject legacyObject ? StringOf(legacyObject["chatgpt_account_id"]) : null)
                ?? JwtClaims.NestedString(idClaims, AuthClaim, "chatgpt_account_id");
            string? plan = JwtClaims.NestedString(idClaims, AuthClaim, "chatgpt_plan_type");

            if (string.Equals(mode, CodexAuthModes.ApiKey, StringComparison.OrdinalIgnoreCase))
            {
                return new LoginFile(CodexAuthModes.ApiKey, apiKey, null, null, null);
            }

            if (accessToken is null && refreshToken is null && apiKey is not null)
            {
                // A file with only a key (older CLIs wrote no auth_mode).
                return new LoginFile(CodexAuthModes.ApiKey, apiKey, null, null, null);
            }

            return new LoginFile(CodexAuthModes.ChatGpt, accessToken, refreshToken, accountId, plan);
        }

        public CodexCredential ToCredential(string path)
        {
            if (Bearer is null)
            {
                throw new CredentialException(Mode == CodexAuthModes.ApiKey
                    ? $"no OPENAI_API_KEY in {path} (auth_mode api_key); run `codex login`"
                    : $"no access token in {path}; run `codex login`");
            }

            DateTimeOffset? expires = Mode == CodexAuthModes.ChatGpt ? JwtClaims.ExpiresAt(JwtClaims.TryReadPayload(Bearer)) : null;
            return new CodexCredential(Bearer, AccountId, Mode, expires, PlanType);
        }

        private static string? StringOf(JsonNode? node) =>
            node is JsonValue value && value.TryGetValue(out string? text) && !string.IsNullOrWhiteSpace(text) ? text : null;
    }

    private sealed record TokenResponse(string AccessToken, string? RefreshToken, string? IdToken)
    {
        public static TokenResponse Parse(int status, byte[] payload, string path)
        {
            string? accessToken = null, refreshToken = null, idToken = null, error = null, description = null;
            try
            {
                using JsonDocument document = JsonDocument.Parse(payload);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    JsonElement root = document.RootElement;
                    accessToken = Read(root, "access_token");
                    refreshToken = Read(root, "refresh_token");
                    idToken = Read(root, "id_token");
                    if (root.TryGetProperty("error", out JsonElement errorElement))
                    {
                        // Either OAuth's {"error":"invalid_grant"} or OpenAI's {"error":{"code","message"}}.
                        error = errorElement.ValueKind == JsonValueKind.String ? errorElement.GetString()
                            : errorElement.ValueKind == JsonValueKind.Object ? Read(errorElement, "code") ?? Read(errorElement, "type") : null;
                        description = errorElement.ValueKind == JsonValueKind.Object ? Read(errorElement, "message") : null;
                    }

                    description ??= Read(root, "error_description");
                }
            }
            catch (JsonException)
            {
                // A non-JSON error page: the status says enough.
            }

            if (status is >= 200 and < 300 && accessToken is not null)
            {
                return new TokenResponse(accessToken, refreshToken, idToken);
            }

            string reason = error ?? $"status {status}";
            if (description is not null)
            {
                reason += ": " + description;
            }

            if (status is >= 400 and < 500 || error is not null)
            {
                string hint = error switch
                {
                    "refresh_token_reused" => "the refresh token was already used (another client refreshed the same login)",
                    "invalid_grant" => "the refresh token is no longer valid",
                    _ => "the token endpoint rejected the refresh",
                };
                throw new CredentialException($"refreshing the Codex login in {path} failed ({reason}): {hint}; run `codex login` to sign in again");
            }

            throw new CredentialException(status is >= 200 and < 300
                ? $"the token endpoint answered without an access token while refreshing the Codex login in {path}"
                : $"refreshing the Codex login in {path} failed ({reason}); try again later");
        }

        private static string? Read(JsonElement element, string name) =>
            element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    // Event ids 2000-2000; next free: 2001.
    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Warning, "Codex login unusable: {Reason}", EventName = "CodexCredentialFailed")]
        public static partial void CredentialFailed(ILogger logger, string reason);
    }
}
