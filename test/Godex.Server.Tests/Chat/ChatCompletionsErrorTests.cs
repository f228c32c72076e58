using System.Net;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Chat;

public sealed class ChatCompletionsErrorTests
{
    private static FakeChatBackend OkBackend() =>
        new("codex", new TextDeltaEvent("ok"), new ResponseCompletedEvent(FinishReason.Stop, Usage.Empty));

    private static async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> PostAsync(KestrelTestHost host, HttpContent content)
    {
        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions", content, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, ChatTestServer.ParseJson(body).GetProperty("error"), response);
    }

    [Theory]
    [InlineData("{\"model\":", 400, "invalid JSON", null)]
    [InlineData("""{"model":"gpt-5.2-codex","messages":"hi"}""", 400, "messages: expected an array", "messages")]
    [InlineData("""{"model":"gpt-5.2-codex"}""", 400, "messages: required", "messages")]
    [InlineData("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":1}]}""", 400, "messages[0].content: expected a string or an array of content parts", "messages[0].content")]
    [InlineData("""{"model":"gpt-5.2-codex","n":2,"messages":[{"role":"user","content":"x"}]}""", 400, "n > 1 is not supported", "n")]
    [InlineData("""{"model":"llama-3","messages":[{"role":"user","content":"x"}]}""", 404, "The model `llama-3` does not exist or is not routed by godex", "model")]
    public async Task Post_BadInput_OpenAIErrorNaming4xx(string json, int status, string message, string? param)
    {
        // routing.default: "" (by default an unmatched model such as llama-3 goes to Codex).
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend(), o => o.Routing.Default = null);

        (HttpStatusCode code, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json(json));

        Assert.Equal(status, (int)code);
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is null)
        {
            Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        }
        else
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Post_UnknownModelWithDefaultConfiguredEmpty_ModelNotFoundCode()
    {
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend(), o => o.Routing.Default = null);

        (_, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json("""{"model":"llama-3","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("gpt-*", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_EmptyBody_400()
    {
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend());

        (HttpStatusCode code, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json(""));

        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("empty", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_OversizedBody_413()
    {
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend(), o => o.Proxy.MaxRequestBodyBytes = 1024);
        string big = $$"""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"{{new string('a', 4096)}}"}]}""";

        (HttpStatusCode code, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json(big));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, code);
        Assert.Contains("1024 bytes", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_OversizedChunkedBody_413()
    {
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend(), o => o.Proxy.MaxRequestBodyBytes = 1024);
        var content = new StreamContent(new MemoryStream(new byte[8192]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        HttpResponseMessage response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_OversizedChunkedBody_StillArriving_Gets413NotAReset()
    {
        // The 413 is written while the client is still sending: godex must let Kestrel drain the rest of the body
        // (up to its 5 s) instead of closing on it, or the client's next write meets a reset and it never reads the
        // 413 (CI caught this as a flaky "Error while copying content to a stream" on the test above).
        await using KestrelTestHost host = await ChatTestServer.StartAsync(OkBackend(), o => o.Proxy.MaxRequestBodyBytes = 1024);
        var content = new StreamContent(new Godex.Server.Tests.Hostile.TricklingStream(pieces: 16, pieceSize: 1024, TimeSpan.FromMilliseconds(25)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1024 bytes", ChatTestServer.ParseJson(body).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Post_UpstreamRefusesBeforeFirstByte_ThatStatusMessageAndRetryAfter(bool stream)
    {
        var backend = new FakeChatBackend("codex",
            new ResponseStartedEvent("r", "gpt-5.2-codex"),
            new StreamErrorEvent(new BackendError(429, "rate_limit_error", "usage limit reached") { RetryAfter = TimeSpan.FromSeconds(7.2), Code = "usage_limit_reached" }));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (HttpStatusCode code, JsonElement error, HttpResponseMessage response) = await PostAsync(host,
            ChatTestServer.Json($$"""{"model":"gpt-5.2-codex","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, code);
        Assert.Equal("usage limit reached", error.GetProperty("message").GetString());
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("usage_limit_reached", error.GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(8), response.Headers.RetryAfter!.Delta);
    }

    [Fact]
    public async Task Post_NonStreamErrorMidway_ErrorStatus()
    {
        var backend = new FakeChatBackend("codex", new TextDeltaEvent("partial"), new StreamErrorEvent(BackendError.Upstream(503, "overloaded")));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (HttpStatusCode code, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Equal("overloaded", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Post_NoModel_UsesConfiguredDefaultAndAlias()
    {
        FakeChatBackend backend = OkBackend();
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend, o => o.Proxy.Model = "codex");

        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions",
            ChatTestServer.Json("""{"messages":[{"role":"user","content":"x"}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-5.3-codex", Assert.Single(backend.Requests).Model);
    }

    [Fact]
    public async Task Post_BackendThrowsBeforeFirstByte_500OpenAIError()
    {
        var backend = new FakeChatBackend("codex", (_, ct) => ThrowingAsync(ct));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        (HttpStatusCode code, JsonElement error, _) = await PostAsync(host, ChatTestServer.Json("""{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.Equal("api_error", error.GetProperty("type").GetString());

        static async IAsyncEnumerable<StreamEvent> ThrowingAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            throw new InvalidOperationException("backend bug");
#pragma warning disable CS0162 // Unreachable: the yield makes this an iterator.
            yield break;
#pragma warning restore CS0162
        }
    }

    [Fact]
    public async Task Post_BackendThrowsAfterFirstByte_InBandErrorThenDone()
    {
        var backend = new FakeChatBackend("codex", (_, ct) => ThrowingLateAsync(ct));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend);

        HttpResponseMessage response = await host.Client.PostAsync("v1/chat/completions",
            ChatTestServer.Json("""{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"x"}]}"""), TestContext.Current.CancellationToken);
        List<string> data = ChatTestServer.DataLines(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("api_error", ChatTestServer.ParseJson(data[^2]).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("[DONE]", data[^1]);

        static async IAsyncEnumerable<StreamEvent> ThrowingLateAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            yield return new TextDeltaEvent("partial");
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            throw new InvalidOperationException("backend bug");
        }
    }
}
