using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Godex.Core.Auth;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// The <c>anthropic</c> provider: the Messages API (<c>POST {BaseUrl}/v1/messages</c>, always streaming) with Claude
/// Code's OAuth login or an API key.
/// <code>
///   1. credential (API key, or OAuth token re-read/refreshed before expiry)    ── failure → 401 event
///   2. translate the canonical request (OAuth adds the Claude Code system block)
///   3. send with retries on 429/5xx before the first byte                      ── unreachable → 502 event
///   4. 401 with OAuth → forced refresh, one more send
///   5. non-2xx → one error event (status, message, type, Retry-After)
///   6. 2xx → parse the SSE body; an idle gap longer than IdleTimeout → 504 event
/// </code>
/// </summary>
public sealed partial class AnthropicBackend : IChatBackend
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly AnthropicBackendOptions _options;
    private readonly HttpClient _http;
    private readonly ClaudeCredentialStore _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<AnthropicBackend> _logger;
    private readonly Uri _messagesUri;
    private readonly Uri _modelsUri;

    public AnthropicBackend(
        AnthropicBackendOptions options,
        HttpClient http,
        ClaudeCredentialStore credentials,
        TimeProvider time,
        ILogger<AnthropicBackend> logger)
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
        string baseUrl = options.BaseUrl.TrimEnd('/');
        _messagesUri = new Uri(baseUrl + "/v1/messages");
        _modelsUri = new Uri(baseUrl + "/v1/models?limit=1000");
    }

    /// <inheritdoc />
    public string Name => "anthropic";

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return StreamCoreAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<StreamEvent> StreamCoreAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // 1. Credential.
        (ClaudeCredential? credential, BackendError? credentialError) = await GetCredentialAsync(null, cancellationToken);
        if (credential is null)
        {
            yield return new StreamErrorEvent(credentialError!);
            yield break;
        }

        // 2. Translate once: the body depends only on the credential kind, which a refresh does not change.
        byte[] body = MessagesRequestWriter.Translate(request, _options, oauth: !credential.IsApiKey);
        Log.Sending(_logger, request.Model, _messagesUri, credential.IsApiKey ? "api-key" : "oauth");
        Log.RequestBody(_logger, new Utf8Text(body));

        // The connect timeout bounds everything before the response headers (retries included); it is disarmed once
        // they arrive and the idle timeout takes over. The source lives as long as the response.
        using var headersTimeout = TimeoutSources.Create(_options.ConnectTimeout, _time);
        using var sendCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, headersTimeout.Token);

        // 3./4. Send; on a 401 with OAuth, refresh once and send again.
        (HttpResponseMessage? response, BackendError? sendError) = await SendAsync(body, credential, headersTimeout, sendCancellation.Token, cancellationToken);
        if (response is { StatusCode: HttpStatusCode.Unauthorized } && !credential.IsApiKey)
        {
            response.Dispose();
            response = null;
            Log.RefreshingAfterUnauthorized(_logger);
            (credential, credentialError) = await GetCredentialAsync(credential, cancellationToken);
            if (credential is null)
            {
                yield return new StreamErrorEvent(credentialError!);
                yield break;
            }

            (response, sendError) = await SendAsync(body, credential, headersTimeout, sendCancellation.Token, cancellationToken);
        }

        if (response is null)
        {
            yield return new StreamErrorEvent(sendError!);
            yield break;
        }

        headersTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
        using (response)
        {
            // 5. Refused.
            if (!response.IsSuccessStatusCode)
            {
                BackendError error = await ReadErrorAsync(response, cancellationToken);
                Log.UpstreamError(_logger, error.Status, error.Code ?? error.Type);
                yield return new StreamErrorEvent(error);
                yield break;
            }

            // 6. Stream (read here, not through another iterator: every layer is paid once per event).
            string upstream = "upstream " + _messagesUri.Host;
            await foreach (StreamEvent streamEvent in UpstreamEventStream.ReadAsync(response, new MessagesStreamReader(), upstream, _options.IdleTimeout, _time, cancellationToken))
            {
                if (streamEvent is StreamErrorEvent error)
                {
                    Log.StreamCut(_logger, error.Error.Message);
                }

                yield return streamEvent;
            }
        }
    }

    private async ValueTask<(ClaudeCredential? Credential, BackendError? Error)> GetCredentialAsync(ClaudeCredential? rejected, CancellationToken cancellationToken)
    {
        try
        {
            ClaudeCredential credential = rejected is null
                ? await _credentials.GetAsync(forceRefresh: false, cancellationToken)
                : await _credentials.RefreshAfterRejectionAsync(rejected, cancellationToken);
            return (credential, null);
        }
        catch (CredentialException ex)
        {
            Log.CredentialFailed(_logger, ex.Message);
            return (null, new BackendError(401, BackendErrorTypes.Authentication, ex.Message) { Code = "credentials_unavailable" });
        }
    }

    private Task<(HttpResponseMessage? Response, BackendError? Error)> SendAsync(
        byte[] body, ClaudeCredential credential, CancellationTokenSource headersTimeout, CancellationToken sendToken, CancellationToken cancellationToken) =>
        SendAsync(() => CreateRequest(HttpMethod.Post, _messagesUri, credential, body), headersTimeout, sendToken, cancellationToken);

    private async Task<(HttpResponseMessage? Response, BackendError? Error)> SendAsync(
        Func<HttpRequestMessage> createRequest, CancellationTokenSource headersTimeout, CancellationToken sendToken, CancellationToken cancellationToken)
    {
        try
        {
            HttpResponseMessage response = await UpstreamHttp.SendWithRetryAsync(_http, createRequest, _options, _time, sendToken);
            return (response, null);
        }
        catch (HttpRequestException ex)
        {
            Log.ConnectFailed(_logger, _messagesUri, ex.Message);
            return (null, new BackendError(502, BackendErrorTypes.Server, $"cannot reach {_messagesUri}: {ex.Message}"));
        }
        catch (OperationCanceledException) when (headersTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.ConnectFailed(_logger, _messagesUri, "timed out");
            return (null, new BackendError(504, BackendErrorTypes.Timeout,
                $"{_messagesUri} did not answer within {_options.ConnectTimeout.TotalSeconds:0.#} s"));
        }
    }

    private HttpRequestMessage CreateRequest(HttpMethod method, Uri uri, ClaudeCredential credential, byte[]? body)
    {
        var request = new HttpRequestMessage(method, uri);
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation("anthropic-version", _options.AnthropicVersion);
        if (credential.IsApiKey)
        {
            headers.TryAddWithoutValidation("x-api-key", credential.Token);
        }
        else
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Token);
            if (_options.OAuthBetas.Count > 0)
            {
                headers.TryAddWithoutValidation("anthropic-beta", string.Join(',', _options.OAuthBetas));
            }

            headers.TryAddWithoutValidation("user-agent", _options.UserAgent);
            headers.TryAddWithoutValidation("x-app", "cli");
        }

        if (body is not null)
        {
            headers.Accept.ParseAdd("text/event-stream");
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        else
        {
            headers.Accept.ParseAdd("application/json");
        }

        return request;
    }

    private async Task<BackendError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        TimeSpan? retryAfter = UpstreamHttp.RetryAfter(response, _time);
        byte[] payload = await ReadCappedAsync(response.Content, MaxErrorBodyBytes, cancellationToken);

        string? errorType = null;
        string? message = null;
        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error"u8, out JsonElement error) && error.ValueKind == JsonValueKind.Object)
            {
                errorType = error.TryGetProperty("type"u8, out JsonElement type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
                message = error.TryGetProperty("message"u8, out JsonElement text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not the API's error shape (a proxy's HTML page, say): the status speaks for itself.
        }

        message ??= $"upstream {_messagesUri.Host} returned HTTP {status.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}".TrimEnd();
        return MessagesStreamReader.MapError(errorType, message, status) with { RetryAfter = retryAfter };
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using Stream stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, (int)Math.Min(read, limit - buffer.Length));
        }

        return buffer.ToArray();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<ModelInfo>();
        try
        {
            ClaudeCredential credential = await _credentials.GetAsync(forceRefresh: false, cancellationToken);
            using HttpRequestMessage request = CreateRequest(HttpMethod.Get, _modelsUri, credential, body: null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.ModelsFailed(_logger, $"HTTP {(int)response.StatusCode}");
                return StaticModels();
            }

            byte[] payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.TryGetProperty("data"u8, out JsonElement data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in data.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id"u8, out JsonElement id) || id.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    models.Add(new ModelInfo(id.GetString()!, Name)
                    {
                        DisplayName = item.TryGetProperty("display_name"u8, out JsonElement display) && display.ValueKind == JsonValueKind.String ? display.GetString() : null,
                        Created = item.TryGetProperty("created_at"u8, out JsonElement created) && created.ValueKind == JsonValueKind.String
                            && DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at)
                            ? at.ToUnixTimeSeconds()
                            : null,
                    });
                }
            }
        }
        catch (Exception ex) when (ex is CredentialException or HttpRequestException or JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.ModelsFailed(_logger, ex.Message);
            return StaticModels();
        }

        // Configured models the upstream did not list (aliases, private previews) stay available.
        foreach (string configured in _options.Models)
        {
            if (!models.Exists(m => string.Equals(m.Id, configured, StringComparison.Ordinal)))
            {
                models.Add(new ModelInfo(configured, Name));
            }
        }

        return models;
    }

    private List<ModelInfo> StaticModels() => _options.Models.ConvertAll(id => new ModelInfo(id, Name));

    // Next event id: 310.
    private static partial class Log
    {
        [LoggerMessage(EventId = 301, EventName = "AnthropicSending", Level = LogLevel.Debug,
            Message = "Sending model {Model} to {Uri} with {CredentialKind} credentials")]
        public static partial void Sending(ILogger logger, string model, Uri uri, string credentialKind);

        [LoggerMessage(EventId = 302, EventName = "AnthropicRefreshAfterUnauthorized", Level = LogLevel.Information,
            Message = "Anthropic rejected the OAuth token (401); refreshing it and retrying once")]
        public static partial void RefreshingAfterUnauthorized(ILogger logger);

        [LoggerMessage(EventId = 303, EventName = "AnthropicUpstreamError", Level = LogLevel.Warning,
            Message = "Anthropic answered HTTP {Status} ({ErrorType})")]
        public static partial void UpstreamError(ILogger logger, int status, string errorType);

        [LoggerMessage(EventId = 304, EventName = "AnthropicCredentialFailed", Level = LogLevel.Warning,
            Message = "Anthropic credentials unavailable: {Reason}")]
        public static partial void CredentialFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 305, EventName = "AnthropicConnectFailed", Level = LogLevel.Warning,
            Message = "Cannot reach {Uri}: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, Uri uri, string reason);

        [LoggerMessage(EventId = 306, EventName = "AnthropicStreamProblem", Level = LogLevel.Warning,
            Message = "Anthropic stream ended abnormally: {Reason}")]
        public static partial void StreamCut(ILogger logger, string reason);

        [LoggerMessage(EventId = 308, EventName = "AnthropicModelsFailed", Level = LogLevel.Warning,
            Message = "Anthropic model discovery failed ({Reason}); using the configured list")]
        public static partial void ModelsFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 309, EventName = "AnthropicRequestBody", Level = LogLevel.Trace,
            Message = "Anthropic request body: {Body}")]
        public static partial void RequestBody(ILogger logger, Utf8Text body);
    }

    /// <summary>UTF-8 bytes decoded only when a Trace log line is actually written.</summary>
    private readonly struct Utf8Text(ReadOnlyMemory<byte> bytes)
    {
        public override string ToString() => Encoding.UTF8.GetString(bytes.Span);
    }
}
