using System.Text.Json;
using Godex.Core.Backends.Pools;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Responses;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The ChatGPT Codex backend: <c>POST {base_url}/responses</c>, Responses-API SSE, stream only, authenticated with the
/// Codex CLI login (<see cref="CodexProfile"/>). Translated requests are written by <see cref="ResponsesRequestWriter"/>
/// and read back by <see cref="ResponsesStreamReader"/>; Responses clients pass through (<see cref="CodexPassthroughBody"/>).
/// Both go through the shared send path (<see cref="UpstreamSender{TCredential}"/>), one per account of the backend's
/// pool (<see cref="PooledSender{TCredential}"/>): each account is one Codex CLI login.
/// </summary>
public sealed class CodexBackend : IChatBackend, IPassthroughBackend, IPooledBackend
{
    private readonly CodexBackendOptions _options;
    private readonly PooledSender<CodexCredential> _sender;
    private readonly Uri _endpoint;

    /// <summary>A backend with one account, <c>default</c>: the login of <paramref name="credentials"/>.</summary>
    public CodexBackend(CodexBackendOptions options, HttpClient http, CodexCredentialStore credentials, TimeProvider time, ILogger<CodexBackend> logger)
        : this(options, http, [credentials], AccountPool.OfOne("codex", time, logger), time, logger)
    {
    }

    /// <summary>
    /// A backend whose requests go to the accounts of <paramref name="pool"/>, one login each (<paramref name="accounts"/>,
    /// in the pool's order); <paramref name="observer"/> (the application's metrics) is told of every upstream call.
    /// </summary>
    public CodexBackend(
        CodexBackendOptions options,
        HttpClient http,
        IReadOnlyList<CodexCredentialStore> accounts,
        AccountPool pool,
        TimeProvider time,
        ILogger<CodexBackend> logger,
        IUpstreamObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(pool);
        _options = options;
        _sender = new PooledSender<CodexCredential>(pool, [.. accounts.Select(a => new UpstreamSender<CodexCredential>(http, new CodexProfile(options, a), time, logger, observer))]);
        _endpoint = new Uri(options.BaseUrl.TrimEnd('/') + "/responses");
    }

    /// <inheritdoc />
    public AccountPool Pool => _sender.Pool;

    /// <inheritdoc />
    public string Name => "codex";

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new UpstreamHeaders();

        // The backend keys its prompt cache on the session as well as on prompt_cache_key.
        headers.TryAdd("session_id", request.PromptCacheKey);
        var upstream = new UpstreamRequest(_endpoint, ResponsesRequestWriter.Translate(request, _options.DefaultInstructions), request.Model)
        {
            ClientStreams = request.Stream,
            Headers = headers,
        };
        return PooledEventStream.ReadAsync(_sender, upstream, static (u, _) => u, request, new ResponsesStreamReader(), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ModelInfo>>(_options.Models.ConvertAll(id => new ModelInfo(id, Name)));

    /// <inheritdoc />
    public bool CanPassThrough(WireDialect dialect) => dialect == WireDialect.Responses;

    /// <inheritdoc />
    public IReadOnlyList<string> ForwardedHeaders(WireDialect dialect) => CodexPassthroughBody.ForwardedHeaders;

    /// <inheritdoc />
    public Task<UpstreamResponse> ForwardAsync(PassthroughRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CodexForwardBody forward;
        bool pooled = _sender.Pool.Accounts.Count > 1; // a pool of one has no choice to make: no session key
        try
        {
            if (!CodexPassthroughBody.TryRewrite(request.Body.Span, request.Model, _options.DefaultInstructions, withConversationStart: pooled, out forward))
            {
                return Task.FromResult(UpstreamResponse.Refused(BackendError.InvalidRequest("the request body must be a JSON object"), Name));
            }
        }
        catch (JsonException ex)
        {
            return Task.FromResult(UpstreamResponse.Refused(BackendError.InvalidRequest($"the request body is not valid JSON: {ex.Message}"), Name));
        }

        string? sessionId = forward.PromptCacheKey;
        string? sessionKey = pooled ? SessionKeys.Of(sessionId ?? request.Headers.Get("session-id"), sessionId is null ? forward.ConversationStart : default) : null;
        var headers = new UpstreamHeaders();
        bool session = headers.TryAdd("session_id", sessionId);
        foreach ((string name, string value) in request.Headers.All)
        {
            if (!(session && name.Equals("session-id", StringComparison.OrdinalIgnoreCase)))
            {
                headers.TryAdd(name, value);
            }
        }

        var upstream = new UpstreamRequest(_endpoint, forward.Body, request.Model) { ClientStreams = request.ClientStreams, Headers = headers };
        return _sender.SendAsync(upstream, static (u, _) => u, sessionKey, cancellationToken);
    }
}
