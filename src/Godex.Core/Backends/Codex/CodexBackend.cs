using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Responses;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The ChatGPT Codex backend: <c>POST {base_url}/responses</c>, Responses-API SSE, stream only, authenticated with
/// the Codex CLI login.
/// </summary>
/// <remarks>
/// <code>
/// 1. credential (refreshed when it expires within 5 min)
/// 2. POST /responses ── 429/5xx before the first byte: retried (Retry-After honoured)
///                    ── 401: forced refresh, one more try
///                    ── other non-2xx: one StreamErrorEvent with the upstream status and message
/// 3. SSE → ResponsesStreamReader → canonical events; silence longer than IdleTimeout → 504
/// </code>
/// </remarks>
public sealed partial class CodexBackend : IChatBackend
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly CodexBackendOptions _options;
    private readonly HttpClient _http;
    private readonly CodexCredentialStore _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<CodexBackend> _logger;
    private readonly Uri _endpoint;

    public CodexBackend(CodexBackendOptions options, HttpClient http, CodexCredentialStore credentials, TimeProvider time, ILogger<CodexBackend> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _http = http;
        _credentials = credentials;
        _time = time;
        _logger = logger;
        _endpoint = new Uri(options.BaseUrl.TrimEnd('/') + "/responses");
    }

    /// <inheritdoc />
    public string Name => "codex";

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = ResponsesRequestWriter.Translate(request, _options.DefaultInstructions);
        return StreamCoreAsync(request, body, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<ModelInfo>(_options.Models.Count);
        foreach (string id in _options.Models)
        {
            models.Add(new ModelInfo(id, Name));
        }

        return Task.FromResult<IReadOnlyList<ModelInfo>>(models);
    }

    private async IAsyncEnumerable<StreamEvent> StreamCoreAsync(ChatRequest request, byte[] body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // 1-2. Credential and request, with the one forced refresh on 401; a refusal comes back as a value.
        (HttpResponseMessage? response, BackendError? failure) = await OpenStreamAsync(request.Model, request.PromptCacheKey, body, [], cancellationToken);
        if (failure is not null)
        {
            yield return new StreamErrorEvent(failure);
            yield break;
        }

        using (response)
        {
            // 3. The stream: parsed into canonical events, cut on silence longer than IdleTimeout.
            await foreach (StreamEvent streamEvent in UpstreamEventStream.ReadAsync(response!, new ResponsesStreamReader(), "the Codex upstream", _options.IdleTimeout, _time, cancellationToken))
            {
                if (streamEvent is StreamErrorEvent { Error.Status: 504 })
                {
                    Log.IdleTimeout(_logger, _options.IdleTimeout.TotalSeconds, request.Model);
                }

                yield return streamEvent;
            }
        }
    }

    internal CodexBackendOptions Options => _options;

    internal TimeProvider Time => _time;

    /// <summary>
    /// The send path every Codex request takes (translated here or passed through by <see cref="CodexPassthrough"/>):
    /// credential, POST with retries before the first byte, one forced refresh on 401. Returns the 2xx response
    /// (headers read, body unread; the caller disposes it) or the refusal as a <see cref="BackendError"/>.
    /// </summary>
    internal async Task<(HttpResponseMessage? Response, BackendError? Error)> OpenStreamAsync(
        string model,
        string? sessionId,
        byte[] body,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders,
        CancellationToken cancellationToken)
    {
        (HttpResponseMessage? response, BackendError? failure) = await SendAsync(model, sessionId, body, extraHeaders, cancellationToken);
        if (failure is not null)
        {
            return (null, failure);
        }

        if (!response!.IsSuccessStatusCode)
        {
            using (response)
            {
                BackendError error = await ReadErrorAsync(response, cancellationToken);
                Log.UpstreamError(_logger, error.Status, error.Code ?? error.Type, model);
                return (null, error);
            }
        }

        return (response, null);
    }

    private async Task<(HttpResponseMessage? Response, BackendError? Error)> SendAsync(
        string model,
        string? sessionId,
        byte[] body,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders,
        CancellationToken cancellationToken)
    {
        CodexCredential credential;
        try
        {
            credential = await _credentials.GetAsync(forceRefresh: false, cancellationToken);
        }
        catch (CredentialException ex)
        {
            return (null, CredentialError(ex));
        }

        for (int attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                CodexCredential current = credential;
                Log.Sending(_logger, model, _endpoint);
                response = await UpstreamHttp.SendWithRetryAsync(_http, () => CreateRequest(sessionId, body, extraHeaders, current), _options, _time, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                return (null, BackendError.Upstream(502, $"could not reach the Codex upstream at {_endpoint}: {ex.Message}"));
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // HttpClient timeouts surface as cancellation.
                return (null, new BackendError(504, BackendErrorTypes.Timeout, $"the Codex upstream at {_endpoint} did not answer: {ex.Message}"));
            }

            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return (response, null);
            }

            // The token was rejected before its expiry (revoked, rotated elsewhere): refresh once and try again.
            CodexCredential refreshed;
            try
            {
                refreshed = await _credentials.GetAsync(forceRefresh: true, cancellationToken);
            }
            catch (CredentialException ex)
            {
                response.Dispose();
                return (null, CredentialError(ex));
            }

            if (string.Equals(refreshed.BearerToken, credential.BearerToken, StringComparison.Ordinal))
            {
                return (response, null);
            }

            Log.RetryingAfterRefresh(_logger, model);
            response.Dispose();
            credential = refreshed;
        }
    }

    private HttpRequestMessage CreateRequest(string? sessionId, byte[] body, IReadOnlyList<KeyValuePair<string, string>> extraHeaders, CodexCredential credential)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new ByteArrayContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        message.Headers.TryAddWithoutValidation("originator", _options.Originator);
        message.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);
        if (credential.IsChatGpt && credential.AccountId is not null)
        {
            message.Headers.TryAddWithoutValidation("chatgpt-account-id", credential.AccountId);
        }

        if (!string.IsNullOrEmpty(sessionId))
        {
            // The backend keys its prompt cache on the session as well as on prompt_cache_key.
            message.Headers.TryAddWithoutValidation("session_id", sessionId);
        }

        foreach ((string name, string value) in extraHeaders)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    private static BackendError CredentialError(CredentialException ex) =>
        new(401, BackendErrorTypes.Authentication, ex.Message) { Code = "credentials_unavailable" };

    /// <summary>
    /// Maps a refused request to a <see cref="BackendError"/>: <c>{"error":{"message","type","code","resets_in_seconds"}}</c>
    /// or <c>{"detail": ...}</c>, else the status with the start of the body.
    /// </summary>
    private async Task<BackendError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        byte[] payload = await ReadLimitedAsync(response, cancellationToken);
        string? message = null, code = null, param = null;
        TimeSpan? resetsIn = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(payload);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
                {
                    message = String(error, "message");
                    code = String(error, "code") ?? String(error, "type");
                    param = String(error, "param");
                    if (error.TryGetProperty("resets_in_seconds", out JsonElement resets) && resets.ValueKind == JsonValueKind.Number)
                    {
                        resetsIn = TimeSpan.FromSeconds(Math.Max(0, resets.GetDouble()));
                    }
                }
                else if (root.TryGetProperty("error", out JsonElement errorText) && errorText.ValueKind == JsonValueKind.String)
                {
                    message = errorText.GetString();
                }

                if (message is null && root.TryGetProperty("detail", out JsonElement detail))
                {
                    message = detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page): fall back to the text below.
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            string text = System.Text.Encoding.UTF8.GetString(payload).Trim();
            message = text.Length == 0
                ? $"the Codex upstream answered {status}"
                : $"the Codex upstream answered {status}: {(text.Length > 512 ? text[..512] : text)}";
        }

        if (status == 429 && code == "usage_limit_reached" && resetsIn is TimeSpan wait)
        {
            message += $" (resets in {wait.TotalSeconds:0} s)";
        }

        return BackendError.Upstream(status, message) with
        {
            Code = code,
            Param = param,
            RetryAfter = UpstreamHttp.RetryAfter(response, _time) ?? resetsIn,
        };
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            byte[] buffer = new byte[MaxErrorBodyBytes];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
            {
                total += read;
            }

            return buffer.AsSpan(0, total).ToArray();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return [];
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Event ids: 1-4 used; next is 5.
    // Next event id: 205.
    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Debug, "Sending {Model} to the Codex upstream {Endpoint}", EventName = "CodexSending")]
        public static partial void Sending(ILogger logger, string model, Uri endpoint);

        [LoggerMessage(202, LogLevel.Information, "The Codex upstream rejected the token for {Model}; refreshed the login and retrying once", EventName = "CodexRetryAfterRefresh")]
        public static partial void RetryingAfterRefresh(ILogger logger, string model);

        [LoggerMessage(203, LogLevel.Warning, "The Codex upstream answered {Status} ({Code}) for {Model}", EventName = "CodexUpstreamError")]
        public static partial void UpstreamError(ILogger logger, int status, string code, string model);

        [LoggerMessage(204, LogLevel.Warning, "The Codex upstream stream for {Model} was idle for {Seconds} s; cut", EventName = "CodexIdleTimeout")]
        public static partial void IdleTimeout(ILogger logger, double seconds, string model);
    }
}
