using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Responses;

/// <summary>
/// The real recorded Responses stream (test/fixtures/openai-responses-real/o3-function-call.stream.sse), served byte
/// for byte as the Codex upstream, comes out of godex's /v1/responses event for event equal in meaning.
/// </summary>
public sealed class ResponsesRecordedUpstreamTests : IAsyncLifetime
{
    private FixtureUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;
    private string _home = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FixtureUpstream.StartAsync();
        _home = Directory.CreateTempSubdirectory("godex-responses-").FullName;
        string authPath = Path.Combine(_home, "auth.json");
        await File.WriteAllTextAsync(authPath, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", TestContext.Current.CancellationToken);
        string root = _upstream.BaseUrl.ToString().TrimEnd('/');
        _godex = await GodexAppHarness.StartAsync(options =>
        {
            options.Proxy.Simulator = "off";
            options.Proxy.Backends.Codex.BaseUrl = root + "/backend-api/codex";
            options.Proxy.Backends.Codex.AuthPath = authPath;
            options.Proxy.Backends.Codex.RetryMax = 0;
            options.Proxy.Backends.Anthropic.BaseUrl = root;
            options.Proxy.Backends.Anthropic.ApiKey = "sk-ant-test";
            options.Proxy.Backends.Anthropic.RetryMax = 0;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task O3FunctionCall_Stream_IsEventForEventEqualInMeaning()
    {
        _upstream.Enqueue(Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse"));
        List<SseFrame> recorded = SseFrame.Parse(Fixtures.Text("openai-responses-real/o3-function-call.stream.sse"));

        List<SseFrame> frames = await ResponsesSimulatorTests.StreamAsync(_godex, """
            {"model":"gpt-5.2-codex","input":"weather in Beijing?","stream":true,
             "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{}}}]}
            """);

        Assert.Equal(recorded.Select(f => f.Event), frames.Select(f => f.Event));
        ResponsesSimulatorTests.AssertSequenceNumbers(frames);
        for (int i = 2; i < frames.Count - 1; i++)
        {
            JsonElement expected = recorded[i].Json;
            JsonElement actual = frames[i].Json;

            // Same fields (the upstream's obfuscation padding is not ours to forward), same values where they carry meaning.
            var expectedFields = SseFrame.FieldNames(expected);
            expectedFields.Remove("obfuscation");
            Assert.Equal(expectedFields.Order(), SseFrame.FieldNames(actual).Where(f => f != "name" || expectedFields.Contains("name")).Order());
            foreach (string field in (string[])["item_id", "output_index", "delta"])
            {
                if (expected.TryGetProperty(field, out JsonElement value))
                {
                    Assert.Equal(value.GetRawText(), actual.GetProperty(field).GetRawText());
                }
            }

            if (expected.TryGetProperty("arguments", out JsonElement arguments))
            {
                AssertJsonEqual(arguments.GetString()!, actual.GetProperty("arguments").GetString()!);
            }

            if (expected.TryGetProperty("item", out JsonElement item))
            {
                AssertItemEqual(item, actual.GetProperty("item"));
            }
        }

        JsonElement recordedResponse = recorded[^1].Json.GetProperty("response");
        JsonElement response = frames[^1].Json.GetProperty("response");
        Assert.Equal("completed", response.GetProperty("status").GetString());
        Assert.Equal(recordedResponse.GetProperty("usage").GetRawText(), response.GetProperty("usage").GetRawText());
        Assert.Equal(recordedResponse.GetProperty("output").GetArrayLength(), response.GetProperty("output").GetArrayLength());
        for (int i = 0; i < recordedResponse.GetProperty("output").GetArrayLength(); i++)
        {
            AssertItemEqual(recordedResponse.GetProperty("output")[i], response.GetProperty("output")[i]);
        }

        // The response object carries every field of the recorded one (content_filters aside: not in the OpenAPI spec).
        var recordedFields = SseFrame.FieldNames(recordedResponse);
        recordedFields.Remove("content_filters");
        Assert.Subset(SseFrame.FieldNames(response), recordedFields);
    }

    [Fact]
    public async Task O3FunctionCall_NonStream_ReturnsSameOutputAndUsage()
    {
        _upstream.Enqueue(Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse"));

        using JsonDocument body = await ResponsesSimulatorTests.PostJsonAsync(_godex, """{"model":"gpt-5.2-codex","input":"weather in Beijing?"}""");

        JsonElement call = body.RootElement.GetProperty("output")[1];
        Assert.Equal("fc_68ca7f707e2081939c26035e1c47f8670a7529be66016d03", call.GetProperty("id").GetString());
        Assert.Equal("call_DhtkoVLdnlohlERqrxpUjb25", call.GetProperty("call_id").GetString());
        Assert.Equal(178, body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(64, body.RootElement.GetProperty("usage").GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    private static void AssertItemEqual(JsonElement expected, JsonElement actual)
    {
        foreach (JsonProperty property in expected.EnumerateObject())
        {
            JsonElement value = actual.GetProperty(property.Name);
            if (property.Name == "arguments" && property.Value.GetString() is { Length: > 0 })
            {
                AssertJsonEqual(property.Value.GetString()!, value.GetString()!);
            }
            else
            {
                Assert.Equal(property.Value.GetRawText(), value.GetRawText());
            }
        }
    }

    private static void AssertJsonEqual(string expected, string actual)
    {
        using JsonDocument e = JsonDocument.Parse(expected);
        using JsonDocument a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"expected {expected}, got {actual}");
    }
}
