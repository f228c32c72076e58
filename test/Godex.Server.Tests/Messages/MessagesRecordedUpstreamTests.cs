using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Messages;

/// <summary>
/// Recorded real Anthropic streams (test/fixtures/anthropic-sdk-python) replayed by a test upstream and
/// asked for by a Messages client for a Claude model: same dialect, so they pass through godex byte for byte (only a
/// last event the recording left undelimited gets its closing blank line), and the upstream gets the client's body
/// with only the model rewritten.
/// </summary>
public sealed class MessagesRecordedUpstreamTests : IAsyncLifetime
{
    private FixtureUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FixtureUpstream.StartAsync();
        _godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            options.Proxy.Backends.Anthropic.BaseUrl = _upstream.BaseUrl.ToString().TrimEnd('/');
            options.Proxy.Backends.Anthropic.ApiKey = "sk-ant-test";
            options.Proxy.Backends.Anthropic.RetryMax = 0;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(bool stream)
    {
        string body = $$"""{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"What is the weather in Paris?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/messages?beta=true", content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("tool_use_response.sse")]
    [InlineData("thinking-signature-refusal.synthetic.sse")]
    [InlineData("basic_response.sse")]
    [InlineData("refusal_response.sse")]
    [InlineData("incomplete_partial_json_response.sse")]
    public async Task RecordedStream_PassesThroughByteForByte(string fixture)
    {
        byte[] recorded = Fixtures.Bytes("anthropic-sdk-python/" + fixture);
        _upstream.Enqueue(recorded);

        (HttpStatusCode status, string body) = await PostAsync(stream: true);

        Assert.Equal(HttpStatusCode.OK, status);
        string expected = Encoding.UTF8.GetString(recorded);
        expected += expected.EndsWith("\n\n", StringComparison.Ordinal) ? "" : expected.EndsWith('\n') ? "\n" : "\n\n";
        Assert.Equal(expected, body);
        Assert.Equal("message_stop", SseFrame.Parse(body)[^1].Event);
    }

    [Fact]
    public async Task Passthrough_UpstreamGetsTheClientBodyWithOnlyTheModelRewritten()
    {
        _upstream.Enqueue(Fixtures.Bytes("anthropic-sdk-python/basic_response.sse"));
        string client = """{"max_tokens":1024,"model":"sonnet","stream":true,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hm \u00e9","signature":"c2ln+/=="},{"type":"text","text":"y"}]},{"role":"user","content":"z"}],"unknown_field":{"kept":[1,2.50,true]}}""";

        using var content = new StringContent(client, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/messages?beta=true", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(_upstream.Requests.TryDequeue(out string? forwarded));
        Assert.Equal(client.Replace("\"model\":\"sonnet\"", "\"model\":\"claude-sonnet-4-5\"", StringComparison.Ordinal), forwarded);
    }

    [Fact]
    public async Task RecordedNonStream_PassesThroughByteForByte()
    {
        using JsonDocument recording = JsonDocument.Parse(Fixtures.Text("anthropic-sdk-python/recorded-nonstream-tool-loop-opus.json"));
        JsonElement recordedBody = recording.RootElement[0].GetProperty("response").GetProperty("body");
        string bodyText = recordedBody.ValueKind == JsonValueKind.String ? recordedBody.GetString()! : recordedBody.GetRawText();
        _upstream.Enqueue(Encoding.UTF8.GetBytes(bodyText), 200, "application/json");

        (HttpStatusCode status, string body) = await PostAsync(stream: false);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(bodyText, body);
    }

    [Theory]
    [InlineData("recorded-429-429-then-stream.json", 0)]
    [InlineData("recorded-tool-loop-then-400.json", 1)]
    public async Task RecordedErrorResponses_KeepStatusAndAnthropicType(string file, int exchange)
    {
        using JsonDocument recording = JsonDocument.Parse(Fixtures.Text("anthropic-sdk-python/" + file));
        JsonElement response = recording.RootElement[exchange].GetProperty("response");
        int status = response.GetProperty("status_code").GetInt32();
        JsonElement recordedBody = response.GetProperty("body");
        string bodyText = recordedBody.ValueKind == JsonValueKind.String ? recordedBody.GetString()! : recordedBody.GetRawText();
        _upstream.Enqueue(Encoding.UTF8.GetBytes(bodyText), status, "application/json");

        (HttpStatusCode actualStatus, string body) = await PostAsync(stream: true);

        Assert.Equal(status, (int)actualStatus);
        using JsonDocument expected = JsonDocument.Parse(bodyText);
        using JsonDocument actual = JsonDocument.Parse(body);
        Assert.Equal("error", actual.RootElement.GetProperty("type").GetString());
        Assert.Equal(
            expected.RootElement.GetProperty("error").GetProperty("type").GetString(),
            actual.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(
            expected.RootElement.GetProperty("error").GetProperty("message").GetString(),
            actual.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
