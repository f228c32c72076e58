using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Backends.Codex;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Tests.Dialects.Responses;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Tests.Backends.Codex;

public sealed class CodexBackendTests : IDisposable
{
    private readonly CodexTestSupport.TempDir _dir = CodexTestSupport.NewTempDir();
    private readonly string _authPath;
    private readonly string _token = CodexTestSupport.AccessToken(DateTimeOffset.UtcNow.AddHours(1), "first");

    public CodexBackendTests()
    {
        _authPath = _dir.File("auth.json");
        var document = new JsonObject
        {
            ["auth_mode"] = "chatgpt",
            ["OPENAI_API_KEY"] = null,
            ["tokens"] = new JsonObject
            {
                ["id_token"] = CodexTestSupport.IdToken("acct-123"),
                ["access_token"] = _token,
                ["refresh_token"] = "rt-1",
            },
        };
        File.WriteAllText(_authPath, document.ToJsonString());
    }

    public void Dispose() => _dir.Dispose();

    private static ChatRequest Request => new()
    {
        Model = "gpt-5.2-codex",
        Messages = [new ChatMessage(ChatRole.User, "hi")],
        PromptCacheKey = "sess-9",
    };

    private static HttpResponseMessage Stream() => new(HttpStatusCode.OK)
    {
        Content = new ByteArrayContent(ResponsesStreamReaderTests.O3FunctionCall()),
    };

    private static HttpResponseMessage Json(HttpStatusCode status, string body) => new(status)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };

    private (CodexBackend Backend, DelegateHandler Upstream) Create(Func<HttpRequestMessage, string, int, Task<HttpResponseMessage>> respond, Action<CodexBackendOptions>? configure = null)
    {
        CodexBackendOptions options = CodexTestSupport.Options(_authPath, "http://127.0.0.1:9/backend-api/codex/");
        configure?.Invoke(options);
        var upstream = new DelegateHandler(respond);
        var http = new HttpClient(upstream);
        var store = new CodexCredentialStore(options, http, TimeProvider.System);
        return (new CodexBackend(options, http, store, TimeProvider.System, NullLogger<CodexBackend>.Instance), upstream);
    }

    private static async Task<List<StreamEvent>> CollectAsync(CodexBackend backend)
    {
        var events = new List<StreamEvent>();
        await foreach (StreamEvent item in backend.StreamAsync(Request, TestContext.Current.CancellationToken))
        {
            events.Add(item);
        }

        return events;
    }

    [Fact]
    public async Task Stream_Success_SendsHeadersAndBodyAndParses()
    {
        (CodexBackend backend, DelegateHandler upstream) = Create((_, _, _) => Task.FromResult(Stream()));

        List<StreamEvent> events = await CollectAsync(backend);

        (HttpRequestMessage sent, string body) = Assert.Single(upstream.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("http://127.0.0.1:9/backend-api/codex/responses", sent.RequestUri!.ToString());
        Assert.Equal("Bearer " + _token, sent.Headers.GetValues("Authorization").Single());
        Assert.Equal("acct-123", sent.Headers.GetValues("chatgpt-account-id").Single());
        Assert.Equal("codex_cli_rs", sent.Headers.GetValues("originator").Single());
        Assert.Equal("sess-9", sent.Headers.GetValues("session_id").Single());
        Assert.Equal("text/event-stream", sent.Headers.Accept.Single().MediaType);
        Assert.StartsWith("codex_cli_rs/", sent.Headers.UserAgent.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/json", sent.Content!.Headers.ContentType!.MediaType);
        Assert.Contains("\"prompt_cache_key\":\"sess-9\"", body, StringComparison.Ordinal);
        Assert.Contains("\"stream\":true", body, StringComparison.Ordinal);

        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
        Assert.Equal("get_weather", Assert.Single(events.OfType<ToolCallCompletedEvent>()).Call.Name);
    }

    [Fact]
    public async Task Stream_429ThenOk_Retries()
    {
        (CodexBackend backend, DelegateHandler upstream) = Create((_, _, n) =>
        {
            if (n == 1)
            {
                HttpResponseMessage limited = Json(HttpStatusCode.TooManyRequests, """{"error":{"message":"slow"}}""");
                limited.Headers.TryAddWithoutValidation("Retry-After", "0");
                return Task.FromResult(limited);
            }

            return Task.FromResult(Stream());
        });

        List<StreamEvent> events = await CollectAsync(backend);

        Assert.Equal(2, upstream.Count);
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public async Task Stream_401_RefreshesAndRetriesOnce()
    {
        string newToken = CodexTestSupport.AccessToken(DateTimeOffset.UtcNow.AddHours(2), "second");
        (CodexBackend backend, DelegateHandler upstream) = Create((request, body, _) =>
        {
            if (request.RequestUri!.AbsolutePath == "/oauth/token")
            {
                Assert.Contains("\"refresh_token\":\"rt-1\"", body, StringComparison.Ordinal);
                return Task.FromResult(Json(HttpStatusCode.OK, $$"""{"access_token":"{{newToken}}","refresh_token":"rt-2"}"""));
            }

            return Task.FromResult(request.Headers.Authorization!.Parameter == newToken
                ? Stream()
                : Json(HttpStatusCode.Unauthorized, """{"error":{"message":"token expired"}}"""));
        });

        List<StreamEvent> events = await CollectAsync(backend);

        Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(3, upstream.Count);
        JsonObject saved = JsonNode.Parse(File.ReadAllText(_authPath))!.AsObject();
        Assert.Equal(newToken, (string?)saved["tokens"]!["access_token"]);
        Assert.Equal("rt-2", (string?)saved["tokens"]!["refresh_token"]);
    }

    [Fact]
    public async Task Stream_400_EmitsSingleErrorWithMessage()
    {
        (CodexBackend backend, _) = Create((_, _, _) =>
            Task.FromResult(Json(HttpStatusCode.BadRequest, """{"detail":"Unsupported parameter: max_output_tokens"}""")));

        List<StreamEvent> events = await CollectAsync(backend);

        var error = Assert.IsType<StreamErrorEvent>(Assert.Single(events));
        Assert.Equal(400, error.Error.Status);
        Assert.Equal(BackendErrorTypes.InvalidRequest, error.Error.Type);
        Assert.Equal("Unsupported parameter: max_output_tokens", error.Error.Message);
    }

    [Fact]
    public async Task Stream_UsageLimit_CarriesResetAndCode()
    {
        (CodexBackend backend, _) = Create(
            (_, _, _) => Task.FromResult(Json(HttpStatusCode.TooManyRequests, """{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_in_seconds":3600}}""")),
            options => options.RetryMax = 0);

        var error = Assert.IsType<StreamErrorEvent>(Assert.Single(await CollectAsync(backend)));

        Assert.Equal(429, error.Error.Status);
        Assert.Equal("usage_limit_reached", error.Error.Code);
        Assert.Equal(TimeSpan.FromHours(1), error.Error.RetryAfter);
    }

    [Fact]
    public async Task Stream_MissingLogin_Is503_WithoutTheServersPath()
    {
        File.Delete(_authPath);
        (CodexBackend backend, DelegateHandler upstream) = Create((_, _, _) => Task.FromResult(Stream()));

        var error = Assert.IsType<StreamErrorEvent>(Assert.Single(await CollectAsync(backend)));

        // godex's own login is missing: not the client's key (a 401 would tell it to log in), and the server's file
        // layout is not the client's business (the path goes to the log only).
        Assert.Equal(503, error.Error.Status);
        Assert.Equal("upstream_login_unavailable", error.Error.Code);
        Assert.DoesNotContain(_authPath, error.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetDirectoryName(_authPath)!, error.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Fact]
    public async Task Stream_ConnectionFailure_Is502NamingUrl()
    {
        (CodexBackend backend, _) = Create((_, _, _) => throw new HttpRequestException("connection refused"), options => options.RetryMax = 0);

        var error = Assert.IsType<StreamErrorEvent>(Assert.Single(await CollectAsync(backend)));

        Assert.Equal(502, error.Error.Status);
        Assert.Contains("http://127.0.0.1:9/backend-api/codex/responses", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_IdleUpstream_Is504()
    {
        (CodexBackend backend, _) = Create(
            (_, _, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StallingStream("data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"m\"}}\n\n"u8.ToArray())) }),
            options => options.IdleTimeout = TimeSpan.FromMilliseconds(200));

        List<StreamEvent> events = await CollectAsync(backend);

        Assert.IsType<ResponseStartedEvent>(events[0]);
        Assert.Equal(504, Assert.IsType<StreamErrorEvent>(events[^1]).Error.Status);
    }

    [Fact]
    public async Task Stream_EnumeratorDisposed_DisposesUpstreamResponse()
    {
        var body = new StallingStream("data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"m\"}}\n\n"u8.ToArray());
        (CodexBackend backend, _) = Create((_, _, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));

        await foreach (StreamEvent item in backend.StreamAsync(Request, TestContext.Current.CancellationToken))
        {
            Assert.IsType<ResponseStartedEvent>(item);
            break;
        }

        Assert.True(body.Disposed);
    }

    [Fact]
    public async Task ListModels_ReturnsConfiguredModels()
    {
        (CodexBackend backend, _) = Create((_, _, _) => Task.FromResult(Stream()));

        IReadOnlyList<ModelInfo> models = await backend.ListModelsAsync(TestContext.Current.CancellationToken);

        Assert.Contains(new ModelInfo("gpt-5.2-codex", "codex"), models);
    }

    /// <summary>Returns its bytes, then blocks until cancelled: an upstream that stopped talking.</summary>
    private sealed class StallingStream(byte[] head) : Stream
    {
        private int _position;

        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < head.Length)
            {
                int count = Math.Min(buffer.Length, head.Length - _position);
                head.AsMemory(_position, count).CopyTo(buffer);
                _position += count;
                return count;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
