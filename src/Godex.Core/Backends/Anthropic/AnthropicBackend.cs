using System.Globalization;
using System.Text;
using System.Text.Json;
using Godex.Core.Backends.Pools;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// The <c>anthropic</c> provider: the Messages API (<c>POST {base_url}/v1/messages</c>) with Claude Code's OAuth login
/// or an API key (<see cref="AnthropicProfile"/>). Translated requests are written by <see cref="MessagesRequestWriter"/>
/// (an OAuth login adds Claude Code's system block, so the body is written once the login is known) and read back by
/// <see cref="MessagesStreamReader"/>, as a stream or, for a short answer a client does not stream, as one JSON
/// message; Messages clients pass through (<see cref="AnthropicPassthroughBody"/>), to <c>/v1/messages</c> or
/// <c>/v1/messages/count_tokens</c>. Both go through the shared send path, one per account of the
/// backend's pool (<see cref="PooledSender{TCredential}"/>): each account is a Claude login or an API key.
/// </summary>
public sealed partial class AnthropicBackend : IChatBackend, IPassthroughBackend, IPooledBackend
{
    // Claude Code names its session in x-claude-code-session-id (and sends it to Anthropic itself): it keeps a
    // conversation on one account without reading the body.
    private const string SessionHeader = "x-claude-code-session-id";
    private static readonly string[] s_forwardedHeaders = ["anthropic-version", "anthropic-beta", SessionHeader];

    private readonly AnthropicBackendOptions _options;
    private readonly PooledSender<ClaudeCredential> _sender;
    private readonly MessagesWriterOptions _writerOptions;
    private readonly ILogger _logger;
    private readonly string _baseUrl;
    private readonly Uri _messagesUri;
    private readonly Uri _messagesBetaUri;
    private readonly Uri _modelsUri;

    /// <summary>A backend with one account, <c>default</c>: the login (or key) of <paramref name="credentials"/>.</summary>
    public AnthropicBackend(
        AnthropicBackendOptions options,
        HttpClient http,
        ClaudeCredentialStore credentials,
        TimeProvider time,
        ILogger<AnthropicBackend> logger)
        : this(options, http, [credentials], AccountPool.OfOne("anthropic", time, logger), time, logger)
    {
    }

    /// <summary>
    /// A backend whose requests go to the accounts of <paramref name="pool"/>, one login or key each
    /// (<paramref name="accounts"/>, in the pool's order); <paramref name="observer"/> (the application's metrics) is told
    /// of every upstream call.
    /// </summary>
    public AnthropicBackend(
        AnthropicBackendOptions options,
        HttpClient http,
        IReadOnlyList<ClaudeCredentialStore> accounts,
        AccountPool pool,
        TimeProvider time,
        ILogger<AnthropicBackend> logger,
        IUpstreamObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
        _sender = new PooledSender<ClaudeCredential>(pool, [.. accounts.Select(a => new UpstreamSender<ClaudeCredential>(http, new AnthropicProfile(options, a), time, logger, observer))]);
        _writerOptions = new MessagesWriterOptions(options.DefaultMaxTokens, options.OAuthSystemPrefix);
        _baseUrl = options.BaseUrl.TrimEnd('/');
        _messagesUri = new Uri(_baseUrl + "/v1/messages");
        _messagesBetaUri = new Uri(_baseUrl + "/v1/messages?beta=true");
        _modelsUri = new Uri(_baseUrl + "/v1/models?limit=1000");
    }

    /// <inheritdoc />
    public string Name => "anthropic";

    /// <inheritdoc />
    public AccountPool Pool => _sender.Pool;

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PooledEventStream.ReadAsync(_sender, (Backend: this, Request: request), static (state, credential) => state.Backend.Translate(state.Request, credential), request, new MessagesStreamReader(), cancellationToken);
    }

    /// <summary>The upstream request for a translated turn: an OAuth login adds Claude Code's system block, so the body is written per login.</summary>
    private UpstreamRequest Translate(ChatRequest request, ClaudeCredential credential)
    {
        byte[] body = MessagesRequestWriter.Translate(request, _writerOptions, oauth: !credential.IsApiKey);
        Log.RequestBody(_logger, new Utf8Text(body));
        bool streams = MessagesRequestWriter.StreamsUpstream(request, _writerOptions);
        return new UpstreamRequest(_messagesUri, body, request.Model)
        {
            ClientStreams = request.Stream,
            AcceptEventStream = streams,
            AnswersWhenDone = !streams,
        };
    }

    /// <inheritdoc />
    public bool CanPassThrough(WireDialect dialect) => dialect == WireDialect.Messages;

    /// <inheritdoc />
    public IReadOnlyList<string> ForwardedHeaders(WireDialect dialect) => s_forwardedHeaders;

    /// <inheritdoc />
    public Task<UpstreamResponse> ForwardAsync(PassthroughRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? sessionKey;
        try
        {
            // A pool of one has no account to keep a conversation on: the body is not read for its key.
            sessionKey = _sender.Pool.Accounts.Count < 2 ? null
                : request.Headers.Get(SessionHeader) is { } session ? SessionKeys.Of(session, default)
                : AnthropicPassthroughBody.SessionKey(request.Body.Span);
        }
        catch (JsonException ex)
        {
            return Task.FromResult(UpstreamResponse.Refused(BackendError.InvalidRequest($"the request body is not valid JSON: {ex.Message}"), Name));
        }

        return _sender.SendAsync((Backend: this, Request: request), static (state, credential) => state.Backend.Forward(state.Request, credential), sessionKey, cancellationToken);
    }

    /// <summary>The client's body for one login: an OAuth login puts Claude Code's identity first in its system prompt.</summary>
    private UpstreamRequest Forward(PassthroughRequest request, ClaudeCredential credential)
    {
        string? identity = credential.IsApiKey || string.IsNullOrEmpty(_options.OAuthSystemPrefix) ? null : _options.OAuthSystemPrefix;
        ReadOnlyMemory<byte> body = AnthropicPassthroughBody.PrepareBody(request.Body, request.Model, identity);
        bool tokenCount = request.Operation == "count_tokens";
        bool plainQuery = IsPlainQuery(request.Query);
        Uri uri = !tokenCount && !plainQuery ? _messagesUri // the common cases (Claude Code's ?beta=true) parse no Uri per request
            : !tokenCount && request.Query == "?beta=true" ? _messagesBetaUri
            : new Uri(_baseUrl + (tokenCount ? "/v1/messages/count_tokens" : "/v1/messages") + (plainQuery ? request.Query : ""));
        return new UpstreamRequest(uri, body, request.Model)
        {
            AcceptEventStream = !tokenCount && request.ClientStreams,
            ClientStreams = !tokenCount && request.ClientStreams,
            AnswersWhenDone = !tokenCount && !request.ClientStreams,
            Headers = request.Headers,
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<ModelInfo>();
        var request = new UpstreamRequest(_modelsUri, default, "(models)") { Method = HttpMethod.Get, AcceptEventStream = false, ClientStreams = false };
        using UpstreamResponse response = await _sender.SendAsync(request, static (r, _) => r, null, cancellationToken);
        (byte[]? payload, BackendError? error) = await response.ReadBodyAsync();
        if (payload is null)
        {
            Log.ModelsFailed(_logger, error!.Message);
            return StaticModels();
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("data"u8, out JsonElement data) && data.ValueKind == JsonValueKind.Array)
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
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
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

    /// <summary>A query string of plain URL characters only (Claude Code's <c>?beta=true</c>); anything else is not forwarded.</summary>
    private static bool IsPlainQuery(string? query)
    {
        if (string.IsNullOrEmpty(query) || query[0] != '?' || query.Length > 256)
        {
            return false;
        }

        foreach (char c in query.AsSpan(1))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '=' or '&' or '_' or '-' or '.' or '%'))
            {
                return false;
            }
        }

        return true;
    }

    // Next event id: 310.
    private static partial class Log
    {
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
