using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Messages;

/// <summary><c>POST /v1/messages/count_tokens</c>: forwarded to Anthropic for Claude models, estimated for the others.</summary>
public sealed class CountTokensTests
{
    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("gpt-5.2-codex")]
    public async Task CountTokens_AnswersInputTokens(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string body = "{\"model\":\"" + model + "\",\"system\":\"Be terse.\",\"messages\":[{\"role\":\"user\",\"content\":\"How many tokens is this sentence, roughly?\"}]}";

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages/count_tokens?beta=true", content, TestContext.Current.CancellationToken);
        string answer = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(answer);
        long tokens = json.RootElement.GetProperty("input_tokens").GetInt64();
        Assert.InRange(tokens, 5, 200);
    }

    [Fact]
    public async Task CountTokens_ForAGptModel_IsTheO200kCountWithChatFraming()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        const string Body = """{"model":"gpt-5.2-codex","system":"Be terse.","messages":[{"role":"user","content":"How many tokens is this sentence, roughly?"}]}""";

        using var content = new StringContent(Body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages/count_tokens", content, TestContext.Current.CancellationToken);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        // 3 to prime the reply, 3 per message (system + user), and the exact o200k tokens of each text.
        long expected = 3 + 3 + Godex.Core.Tokens.O200kTokenCounter.Count("Be terse.") + 3 + Godex.Core.Tokens.O200kTokenCounter.Count("How many tokens is this sentence, roughly?");
        Assert.Equal(expected, json.RootElement.GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task CountTokens_UnknownModel_Is404InTheAnthropicShape()
    {
        // routing.default: "" (by default an unmatched model goes to Codex).
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Routing.Default = null);

        using var content = new StringContent("""{"model":"nope","messages":[]}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/messages/count_tokens", content, TestContext.Current.CancellationToken);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("not_found_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }
}
