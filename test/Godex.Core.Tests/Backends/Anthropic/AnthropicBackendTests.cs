using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.TestUtilities;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Tests.Backends.Anthropic;

public sealed class AnthropicBackendTests : IDisposable
{
    private const string BaseUrl = "http://127.0.0.1:9";

    private readonly string _dir = Directory.CreateTempSubdirectory("godex-anthropic-").FullName;

    private static ChatRequest Hello { get; } = new()
    {
        Model = "claude-sonnet-4-5",
        Messages = [new ChatMessage(ChatRole.System, "Be nice."), new ChatMessage(ChatRole.User, "Hi")],
    };

    private string CredentialsPath => Path.Combine(_dir, ".credentials.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task StreamAsync_OAuth_SendsBearerBetasIdentityAndParsesStream()
    {
        WriteCredentials("at-1");
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(ClaudeTestHandler.Sse(Fixtures.Bytes("anthropic-sdk-python/basic_response.sse"))));
        AnthropicBackend backend = CreateBackend(handler, out AnthropicBackendOptions options);

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello with { Stream = true }, TestContext.Current.CancellationToken));

        RecordedRequest sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(BaseUrl + "/v1/messages", sent.Uri.ToString());
        Assert.Equal("Bearer at-1", sent.Header("Authorization"));
        Assert.Equal(string.Join(",", options.OAuthBetas), sent.Header("anthropic-beta"));
        Assert.Equal("2023-06-01", sent.Header("anthropic-version"));
        Assert.Equal(options.UserAgent, sent.Header("user-agent"));
        Assert.Equal("cli", sent.Header("x-app"));
        Assert.Equal("text/event-stream", sent.Header("accept"));
        Assert.Equal("application/json", sent.Header("content-type"));
        Assert.Null(sent.Header("x-api-key"));
        using (var body = JsonDocument.Parse(sent.Body))
        {
            JsonElement system = body.RootElement.GetProperty("system");
            Assert.Equal(options.OAuthSystemPrefix, system[0].GetProperty("text").GetString());
            Assert.Equal("Be nice.", system[1].GetProperty("text").GetString());
            Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
        }

        Assert.Equal("Hello there!", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public async Task StreamAsync_ShortAnswerNotStreamed_AsksForJsonAndReadsTheWholeMessage()
    {
        // Recorded from api.anthropic.com (the Python SDK's non-streamed tool loop): the answer to a call without a stream.
        using JsonDocument recorded = JsonDocument.Parse(Fixtures.Bytes("anthropic-sdk-python/recorded-nonstream-tool-loop-opus.json"));
        string answer = recorded.RootElement[1].GetProperty("response").GetProperty("body").GetRawText();
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(ClaudeTestHandler.Json(HttpStatusCode.OK, answer)));
        AnthropicBackend backend = CreateBackend(handler, out _, o => o.ApiKey = "sk-ant-test");

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello with { MaxOutputTokens = 1024 }, TestContext.Current.CancellationToken));

        RecordedRequest sent = Assert.Single(handler.Requests);
        Assert.Equal("application/json", sent.Header("accept"));
        using (var body = JsonDocument.Parse(sent.Body))
        {
            Assert.False(body.RootElement.GetProperty("stream").GetBoolean());
        }

        Assert.Equal(new ResponseStartedEvent("msg_0147NV7w8PyZ6bSUsNY79cYj", "claude-opus-4-5-20251101") { Account = "default" }, events[0]); // the pool's account, stamped as on a stream
        ToolCallCompletedEvent call = Assert.Single(events.OfType<ToolCallCompletedEvent>());
        Assert.Equal("get_weather", call.Call.Name);
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<ResponseCompletedEvent>(events[^1]).FinishReason);
    }

    [Fact]
    public async Task StreamAsync_ApiKey_SendsXApiKeyOnly()
    {
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(ClaudeTestHandler.Sse(Fixtures.Bytes("anthropic-sdk-python/basic_response.sse"))));
        AnthropicBackend backend = CreateBackend(handler, out _, o => o.ApiKey = "sk-ant-test");

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        RecordedRequest sent = Assert.Single(handler.Requests);
        Assert.Equal("sk-ant-test", sent.Header("x-api-key"));
        Assert.Null(sent.Header("Authorization"));
        Assert.Null(sent.Header("anthropic-beta"));
        Assert.Null(sent.Header("x-app"));
        using (var body = JsonDocument.Parse(sent.Body))
        {
            JsonElement system = Assert.Single(body.RootElement.GetProperty("system").EnumerateArray());
            Assert.Equal("Be nice.", system.GetProperty("text").GetString());
        }

        Assert.IsType<ResponseCompletedEvent>(events[^1]);
    }

    [Fact]
    public async Task StreamAsync_Recorded429Then429ThenStream_RetriesHonouringRetryAfter()
    {
        using var recording = JsonDocument.Parse(Fixtures.Bytes("anthropic-sdk-python/recorded-429-429-then-stream.json"));
        JsonElement[] exchanges = [.. recording.RootElement.EnumerateArray()];
        int attempt = 0;
        var handler = new ClaudeTestHandler((_, _) =>
        {
            JsonElement recorded = exchanges[Math.Min(attempt, exchanges.Length - 1)].GetProperty("response");
            HttpResponseMessage response = Replay(recorded);
            if (attempt++ == 0)
            {
                response.Headers.TryAddWithoutValidation("retry-after-ms", "60");
            }

            return Task.FromResult(response);
        });
        AnthropicBackend backend = CreateBackend(handler, out _, o =>
        {
            o.ApiKey = "sk-ant-test";
            o.RetryMax = 2;
            o.RetryDelay = TimeSpan.FromMilliseconds(1);
        });

        var watch = Stopwatch.StartNew();
        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(50), $"Retry-After not honoured: {watch.Elapsed}");
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal("[12345,67890]", string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text)));
        var completed = Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(new Usage { InputTokens = 135, OutputTokens = 10 }, completed.Usage);
    }

    [Fact]
    public async Task StreamAsync_429BeyondRetries_ErrorEventWithStatusTypeAndRetryAfter()
    {
        var handler = new ClaudeTestHandler((_, _) =>
        {
            HttpResponseMessage response = ClaudeTestHandler.Json(HttpStatusCode.TooManyRequests, """{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""");
            response.Headers.TryAddWithoutValidation("retry-after", "30");
            return Task.FromResult(response);
        });
        AnthropicBackend backend = CreateBackend(handler, out _, o => o.ApiKey = "k");

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        BackendError error = Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error;
        Assert.Equal(new BackendError(429, BackendErrorTypes.RateLimit, "slow down") { Code = "rate_limit_error", RetryAfter = TimeSpan.FromSeconds(30) }, error);
        Assert.Single(handler.Requests); // 30 s is beyond RetryMaxWait: the client decides
    }

    [Fact]
    public async Task StreamAsync_Unauthorized_RefreshesOnceAndRetries()
    {
        WriteCredentials("at-old");
        var handler = new ClaudeTestHandler((request, _) => Task.FromResult(
            request.Uri.AbsolutePath switch
            {
                "/v1/oauth/token" => ClaudeTestHandler.Json(HttpStatusCode.OK, """{"access_token":"at-new","refresh_token":"rt-new","expires_in":3600}"""),
                _ when request.Header("Authorization") == "Bearer at-old" =>
                    ClaudeTestHandler.Json(HttpStatusCode.Unauthorized, """{"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired."}}"""),
                _ => ClaudeTestHandler.Sse(Fixtures.Bytes("anthropic-sdk-python/basic_response.sse")),
            }));
        AnthropicBackend backend = CreateBackend(handler, out _);

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        Assert.IsType<ResponseCompletedEvent>(events[^1]);
        Assert.Equal(["Bearer at-old", "Bearer at-new"], handler.To("/v1/messages").Select(r => r.Header("Authorization")));
        Assert.Single(handler.To("/v1/oauth/token"));
    }

    [Fact]
    public async Task StreamAsync_BadRequest_ErrorEventWithUpstreamMessage()
    {
        using var recording = JsonDocument.Parse(Fixtures.Bytes("anthropic-sdk-python/recorded-tool-loop-then-400.json"));
        JsonElement recorded = recording.RootElement.EnumerateArray().Last().GetProperty("response");
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(Replay(recorded)));
        AnthropicBackend backend = CreateBackend(handler, out _, o => o.ApiKey = "k");

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        BackendError error = Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error;
        Assert.Equal(400, error.Status);
        Assert.Equal(BackendErrorTypes.InvalidRequest, error.Type);
        Assert.Equal("invalid_request_error", error.Code);
        Assert.StartsWith("messages.0.content.1: unexpected `tool_use_id`", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_NoLogin_503WithoutTheServersPath()
    {
        var handler = new ClaudeTestHandler((_, _) => throw new InvalidOperationException("no upstream call expected"));
        AnthropicBackend backend = CreateBackend(handler, out _);

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        BackendError error = Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error;
        Assert.Equal(503, error.Status);
        Assert.Equal("upstream_login_unavailable", error.Code);
        Assert.DoesNotContain(CredentialsPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_ConnectionRefused_502NamingUrl()
    {
        var handler = new ClaudeTestHandler((_, _) => throw new HttpRequestException("Connection refused"));
        AnthropicBackend backend = CreateBackend(handler, out _, o =>
        {
            o.ApiKey = "k";
            o.RetryMax = 0;
        });

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        BackendError error = Assert.IsType<StreamErrorEvent>(Assert.Single(events)).Error;
        Assert.Equal(502, error.Status);
        Assert.Contains(BaseUrl + "/v1/messages", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_UpstreamGoesSilent_504AfterIdleTimeout()
    {
        byte[] start = Encoding.UTF8.GetBytes(Fixtures.Text("anthropic-sdk-python/basic_response.sse").Split("event: content_block_delta")[0]);
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new StallingStream(start)),
        }));
        AnthropicBackend backend = CreateBackend(handler, out _, o =>
        {
            o.ApiKey = "k";
            o.IdleTimeout = TimeSpan.FromMilliseconds(200);
        });

        List<StreamEvent> events = await CollectAsync(backend.StreamAsync(Hello, TestContext.Current.CancellationToken));

        Assert.IsType<ResponseStartedEvent>(events[0]);
        Assert.Equal(504, Assert.IsType<StreamErrorEvent>(events[^1]).Error.Status);
    }

    [Fact]
    public async Task StreamAsync_EnumeratorDisposedEarly_DisposesUpstreamBody()
    {
        byte[] start = Encoding.UTF8.GetBytes(Fixtures.Text("anthropic-sdk-python/basic_response.sse").Split("event: content_block_delta")[0]);
        var upstream = new StallingStream(start);
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(upstream) }));
        AnthropicBackend backend = CreateBackend(handler, out _, o => o.ApiKey = "k");

        await foreach (StreamEvent streamEvent in backend.StreamAsync(Hello, TestContext.Current.CancellationToken))
        {
            Assert.IsType<ResponseStartedEvent>(streamEvent);
            break;
        }

        Assert.True(upstream.Disposed);
    }

    [Fact]
    public async Task ListModelsAsync_LiveListMergedWithConfigured_FallsBackOnFailure()
    {
        var handler = new ClaudeTestHandler((_, _) => Task.FromResult(ClaudeTestHandler.Json(HttpStatusCode.OK, """
            {"data":[{"type":"model","id":"claude-opus-4-5","display_name":"Claude Opus 4.5","created_at":"2025-11-24T00:00:00Z"}],"has_more":false}
            """)));
        AnthropicBackend backend = CreateBackend(handler, out _, o =>
        {
            o.ApiKey = "k";
            o.Models = ["claude-opus-4-5", "claude-haiku-4-5"];
        });

        IReadOnlyList<ModelInfo> models = await backend.ListModelsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                new ModelInfo("claude-opus-4-5", "anthropic") { DisplayName = "Claude Opus 4.5", Created = new DateTimeOffset(2025, 11, 24, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds() },
                new ModelInfo("claude-haiku-4-5", "anthropic"),
            ],
            models);
        Assert.Equal("k", Assert.Single(handler.Requests).Header("x-api-key"));

        var failing = new ClaudeTestHandler((_, _) => throw new HttpRequestException("down"));
        AnthropicBackend offline = CreateBackend(failing, out _, o =>
        {
            o.ApiKey = "k";
            o.Models = ["claude-x"];
        });
        Assert.Equal([new ModelInfo("claude-x", "anthropic")], await offline.ListModelsAsync(TestContext.Current.CancellationToken));
    }

    private AnthropicBackend CreateBackend(ClaudeTestHandler handler, out AnthropicBackendOptions options, Action<AnthropicBackendOptions>? configure = null)
    {
        options = new AnthropicBackendOptions
        {
            BaseUrl = BaseUrl,
            CredentialsPath = CredentialsPath,
            ApiKeyEnv = "GODEX_TEST_UNSET_ANTHROPIC_API_KEY",
            RefreshUrl = BaseUrl + "/v1/oauth/token",
            RetryDelay = TimeSpan.FromMilliseconds(1),
        };
        configure?.Invoke(options);
        var http = new HttpClient(handler);
        var credentials = new ClaudeCredentialStore(options, http, TimeProvider.System);
        return new AnthropicBackend(options, http, credentials, TimeProvider.System, NullLogger<AnthropicBackend>.Instance);
    }

    private void WriteCredentials(string accessToken) =>
        File.WriteAllText(CredentialsPath, $$$"""
            {"claudeAiOauth":{"accessToken":"{{{accessToken}}}","refreshToken":"rt-1","expiresAt":{{{TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds()}}},"subscriptionType":"pro"} }
            """);

    private static HttpResponseMessage Replay(JsonElement recorded)
    {
        var status = (HttpStatusCode)recorded.GetProperty("status_code").GetInt32();
        JsonElement body = recorded.GetProperty("body");
        string contentType = recorded.GetProperty("headers").GetProperty("content-type").GetString()!;
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ValueKind == JsonValueKind.String ? body.GetString()! : body.GetRawText()));
        content.Headers.TryAddWithoutValidation("content-type", contentType);
        return new HttpResponseMessage(status) { Content = content };
    }

    private static async Task<List<StreamEvent>> CollectAsync(IAsyncEnumerable<StreamEvent> stream)
    {
        var events = new List<StreamEvent>();
        await foreach (StreamEvent streamEvent in stream)
        {
            events.Add(streamEvent);
        }

        return events;
    }

    /// <summary>Serves its bytes, then blocks until the reader gives up.</summary>
    private sealed class StallingStream(byte[] data) : Stream
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
            if (_position < data.Length)
            {
                int count = Math.Min(buffer.Length, data.Length - _position);
                data.AsMemory(_position, count).CopyTo(buffer);
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
