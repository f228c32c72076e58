using System.Text.Json;
using Godex.Core.Backends.Pools;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Responses;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.OpenAI;

/// <summary>
/// An OpenAI-compatible upstream (<c>proxy.backends.custom.&lt;name&gt;</c>). <c>type: openai</c> speaks Chat
/// Completions (<c>POST {base_url}/chat/completions</c>): chat clients pass through byte for byte, Responses and
/// Messages clients are translated (<see cref="ChatCompletionsRequestWriter"/>, <see cref="ChatCompletionsStreamReader"/>).
/// <c>type: openai-responses</c> speaks the Responses API (<c>POST {base_url}/responses</c>): Responses clients pass
/// through, the others are translated (<see cref="ResponsesRequestWriter"/>, <see cref="ResponsesStreamReader"/>).
/// Both go through the shared send path with the backend's key, or the client's <c>X-Provider-Key</c> instead.
/// With <c>accounts:</c> (several keys) the backend's requests go through a pool (<see cref="PooledSender{TCredential}"/>:
/// strategy, affinity, cooldowns, failover before the first byte), as the Codex and Anthropic logins do; a client's
/// own key bypasses the pool and is never retried with a configured one. Without accounts there is no pool on the
/// request path: one key, one sender, as cheap as before.
/// Models: the configured list, else <c>GET {base_url}/models</c> (cached for <see cref="DiscoveryTtl"/>).
/// </summary>
public sealed partial class OpenAICompatibleBackend : IChatBackend, IPassthroughBackend, IPooledBackend
{
    /// <summary>The client header whose key replaces the backend's.</summary>
    public const string ProviderKeyHeader = "X-Provider-Key";

    /// <summary>How long a discovered model list is kept. <value>5 minutes, as the original.</value></summary>
    public static readonly TimeSpan DiscoveryTtl = TimeSpan.FromMinutes(5);

    private static readonly string[] s_forwarded = [ProviderKeyHeader];

    private readonly CustomBackendOptions _options;
    private readonly UpstreamSender<OpenAICompatibleKey> _sender;
    private readonly PooledSender<OpenAICompatibleKey>? _pooled;
    private readonly OpenAICompatibleProfile _profile;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Uri _endpoint;
    private readonly Uri _models;
    private volatile Discovered? _discovered;

    /// <param name="options">The backend's settings.</param>
    /// <param name="http">The backend's pooled client.</param>
    /// <param name="time">The clock (discovery cache, timeouts).</param>
    /// <param name="logger">Where send-path and discovery failures go.</param>
    /// <param name="getEnv">Reads the environment for <c>key_env</c> and <c>$VAR</c> (tests pass their own).</param>
    /// <param name="pool">
    /// The pool over <see cref="UpstreamOptions.Accounts"/>, in their order (saved cooldowns, the configured strategy);
    /// null for a fresh one with default settings. Unused without accounts.
    /// </param>
    /// <param name="observer">The application's observer of every upstream call (metrics), or null.</param>
    public OpenAICompatibleBackend(CustomBackendOptions options, HttpClient http, TimeProvider time, ILogger<OpenAICompatibleBackend> logger, Func<string, string?>? getEnv = null, AccountPool? pool = null, IUpstreamObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _time = time;
        _logger = logger;
        getEnv ??= Environment.GetEnvironmentVariable;
        _profile = new OpenAICompatibleProfile(options, getEnv);
        _sender = new UpstreamSender<OpenAICompatibleKey>(http, _profile, time, logger, observer);
        if (options.Accounts.Count > 0)
        {
            pool ??= new AccountPool(options.Name, [.. options.Accounts.Select(a => a.Name)], PoolStrategies.Parse(options.Strategy), new PoolOptions(), time, null, null, logger);
            if (pool.Accounts.Count != options.Accounts.Count)
            {
                throw new ArgumentException("the pool must hold the backend's accounts", nameof(pool));
            }

            _pooled = new PooledSender<OpenAICompatibleKey>(pool, [.. options.Accounts.Select(a => new UpstreamSender<OpenAICompatibleKey>(http, new OpenAICompatibleProfile(options, getEnv, a), time, logger, observer))]);
        }

        Pool = _pooled?.Pool ?? AccountPool.OfOne(options.Name, time, logger);
        string root = options.BaseUrl.TrimEnd('/');
        _endpoint = new Uri(root + (options.SpeaksResponses ? "/responses" : "/chat/completions"));
        _models = new Uri(root + "/models");
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <summary>The wire the upstream speaks.</summary>
    public WireDialect Dialect => _options.SpeaksResponses ? WireDialect.Responses : WireDialect.ChatCompletions;

    /// <summary>Why the configured key is unusable (only a client's <c>X-Provider-Key</c> can serve), or null.</summary>
    public string? MissingKey => _pooled is null ? _profile.MissingKey : null;

    /// <summary>The accounts (<c>accounts:</c>); without them a pool of one that the request path never consults.</summary>
    public AccountPool Pool { get; }

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        IUpstreamStreamReader reader;
        byte[] body;
        if (_options.SpeaksResponses)
        {
            body = ResponsesRequestWriter.Translate(request, "You are a helpful assistant.");
            reader = new ResponsesStreamReader();
        }
        else
        {
            body = ChatCompletionsRequestWriter.Translate(request);
            reader = new ChatCompletionsStreamReader(ChatCompletionsRequestWriter.CustomToolNames(request));
        }

        var upstream = new UpstreamRequest(_endpoint, body, request.Model) { ClientStreams = request.Stream };
        OpenAICompatibleKey? clientKey = ClientKey(request.ProviderKey?.Value);
        if (_pooled is not null && clientKey is null)
        {
            return PooledEventStream.ReadAsync(_pooled, upstream, static (u, _) => u, request, reader, cancellationToken);
        }

        return UpstreamEventStream.ReadAsync(
            static (s, token) => s.Backend.SendAsync(s.Upstream, s.Key, token),
            (Backend: this, Upstream: upstream, Key: clientKey),
            reader,
            cancellationToken);
    }

    /// <inheritdoc />
    public bool CanPassThrough(WireDialect dialect) => dialect == Dialect;

    /// <inheritdoc />
    public IReadOnlyList<string> ForwardedHeaders(WireDialect dialect) => s_forwarded;

    /// <inheritdoc />
    public Task<UpstreamResponse> ForwardAsync(PassthroughRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CompatiblePassthroughBody.WithModel(request.Body, request.Model) is not { } body)
        {
            return Task.FromResult(UpstreamResponse.Refused(BackendError.InvalidRequest("the request body must be a JSON object"), _profile.DisplayName));
        }

        var upstream = new UpstreamRequest(_endpoint, body, request.Model)
        {
            ClientStreams = request.ClientStreams,
            AcceptEventStream = request.ClientStreams,
            AnswersWhenDone = !request.ClientStreams,
        };
        OpenAICompatibleKey? clientKey = ClientKey(request.Headers.Get(ProviderKeyHeader));
        if (_pooled is not null && clientKey is null)
        {
            return _pooled.SendAsync(upstream, static (u, _) => u, CompatiblePassthroughBody.SessionKey(body.Span), cancellationToken);
        }

        return SendAsync(upstream, clientKey, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken)
    {
        if (_options.Models.Count > 0)
        {
            return _options.Models.ConvertAll(id => new ModelInfo(id, Name) { DisplayName = _options.DisplayNames.GetValueOrDefault(id) });
        }

        if (!_options.Discovery)
        {
            return [];
        }

        if (_discovered is { } cached && _time.GetUtcNow() < cached.Until)
        {
            return cached.Models;
        }

        // Two concurrent misses both ask the upstream (a cheap GET); the later answer is kept.
        IReadOnlyList<ModelInfo>? models = await DiscoverAsync(cancellationToken);

        // A failed discovery is retried after a short while, not on every request.
        var entry = new Discovered(models ?? [], _time.GetUtcNow() + (models is null ? TimeSpan.FromSeconds(30) : DiscoveryTtl));
        _discovered = entry;
        return entry.Models;
    }

    private async Task<IReadOnlyList<ModelInfo>?> DiscoverAsync(CancellationToken cancellationToken)
    {
        var request = new UpstreamRequest(_models, ReadOnlyMemory<byte>.Empty, "(models)")
        {
            Method = HttpMethod.Get,
            AcceptEventStream = false,
            ClientStreams = false,
            RetryMax = 0,
        };
        // With accounts, the backend's auth may hold no key: an account of the pool asks.
        using UpstreamResponse response = _pooled is null
            ? await _sender.SendAsync(request, cancellationToken)
            : await _pooled.SendAsync(request, static (u, _) => u, null, cancellationToken);
        if (response.Error is { } refused)
        {
            Log.DiscoveryFailed(_logger, Name, refused.Status, refused.Message);
            return null;
        }

        (byte[]? body, BackendError? fault) = await response.ReadBodyAsync();
        if (body is null)
        {
            Log.DiscoveryFailed(_logger, Name, fault?.Status ?? 502, fault?.Message ?? "no body");
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;

            // OpenAI: {"object":"list","data":[{"id",...}]}; a few servers answer the bare array.
            JsonElement list = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data"u8, out JsonElement data) ? data : root;
            if (list.ValueKind != JsonValueKind.Array)
            {
                Log.DiscoveryFailed(_logger, Name, 502, "the answer has no data list");
                return null;
            }

            var models = new List<ModelInfo>();
            foreach (JsonElement item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id"u8, out JsonElement id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } name)
                {
                    long? created = item.TryGetProperty("created"u8, out JsonElement c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out long at) ? at : null;
                    string? display = item.TryGetProperty("display_name"u8, out JsonElement d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    models.Add(new ModelInfo(name, Name) { Created = created, DisplayName = display });
                }
            }

            return models;
        }
        catch (JsonException ex)
        {
            Log.DiscoveryFailed(_logger, Name, 502, ex.Message);
            return null;
        }
    }

    /// <summary>The backend's own key, or the client's: no pool, no failover.</summary>
    private Task<UpstreamResponse> SendAsync(UpstreamRequest request, OpenAICompatibleKey? clientKey, CancellationToken cancellationToken) =>
        clientKey is null ? _sender.SendAsync(request, cancellationToken) : _sender.SendAsync(request, clientKey, cancellationToken);

    /// <summary>The client's key as a credential, or null for the backend's own (an unsafe value was already dropped by <see cref="UpstreamHeaders"/>).</summary>
    private static OpenAICompatibleKey? ClientKey(string? key) =>
        string.IsNullOrWhiteSpace(key) || !UpstreamHeaders.IsSafeValue(key) ? null : new OpenAICompatibleKey(key, [], fromClient: true);

    private sealed record Discovered(IReadOnlyList<ModelInfo> Models, DateTimeOffset Until);

    // Event ids 1: next free 2.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model discovery on the {Backend} backend failed ({Status}): {Reason}", EventName = "ModelDiscoveryFailed")]
        public static partial void DiscoveryFailed(ILogger logger, string backend, int status, string reason);
    }
}
