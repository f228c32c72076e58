using System.Net;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Chat;

public sealed class ClientKeyMiddlewareTests
{
    private const string Key = "sk-godex-test-key";
    private const string Body = """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"x"}]}""";

    private static Task<KestrelTestHost> StartAsync(bool allowAnyKey = false) =>
        ChatTestServer.StartAsync(
            new FakeChatBackend("codex", (_, ct) => FakeChatBackend.Replay([new TextDeltaEvent("ok"), new ResponseCompletedEvent(FinishReason.Stop, Usage.Empty)], TimeSpan.Zero, ct)),
            o =>
            {
                o.Proxy.ApiKey = Key;
                o.Proxy.AllowAnyKey = allowAnyKey;
            });

    private static async Task<HttpResponseMessage> SendAsync(KestrelTestHost host, string path, string? bearer = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = ChatTestServer.Json(Body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("wrong", null)]
    [InlineData(null, "wrong")]
    [InlineData("sk-godex-test-ke", null)]
    public async Task ChatCompletions_MissingOrWrongKey_401OpenAIShape(string? bearer, string? apiKey)
    {
        await using KestrelTestHost host = await StartAsync();

        HttpResponseMessage response = await SendAsync(host, "v1/chat/completions", bearer, apiKey);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonElement error = ChatTestServer.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).GetProperty("error");
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(Key, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Key, null)]
    [InlineData(null, Key)]
    public async Task ChatCompletions_RightKey_200(string? bearer, string? apiKey)
    {
        await using KestrelTestHost host = await StartAsync();

        HttpResponseMessage response = await SendAsync(host, "v1/chat/completions", bearer, apiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_AllowAnyKey_200WithoutKey()
    {
        await using KestrelTestHost host = await StartAsync(allowAnyKey: true);

        HttpResponseMessage response = await SendAsync(host, "v1/chat/completions");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Messages_NoKey_401AnthropicShape()
    {
        await using KestrelTestHost host = await StartAsync();

        HttpResponseMessage response = await SendAsync(host, "v1/messages");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonElement root = ChatTestServer.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal("authentication_error", root.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Health_NoKey_OpenWithVersion()
    {
        await using KestrelTestHost host = await StartAsync();

        HttpResponseMessage response = await host.Client.GetAsync("health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement root = ChatTestServer.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok", root.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
    }
}
