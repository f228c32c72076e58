using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Tokens;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Tokens;

public sealed class PromptTokenCountTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("hello world", 2)]
    [InlineData("Hello!", 2)]
    [InlineData("You are a helpful assistant.", 6)]
    [InlineData("", 0)]
    public void O200k_counts_match_tiktoken(string text, int expected) => Assert.Equal(expected, O200kTokenCounter.Count(text));

    [Fact]
    public void Non_ascii_text_counts_real_tokens_not_characters()
    {
        // The old heuristic counted every non-ASCII character as a token; o200k merges common CJK/accents.
        int tokens = O200kTokenCounter.Count("こんにちは、世界。今日はいい天気ですね。");
        Assert.InRange(tokens, 5, 15);
    }

    /// <summary>
    /// The measured error of the estimate against the prompt sizes OpenAI itself reported for the official examples
    /// (chat completions, o200k-family models). The numbers are quoted in docs/wire.md.
    /// </summary>
    [Theory]
    [InlineData("openai-openapi/chat-completions-example-default", 19)]
    [InlineData("openai-openapi/chat-completions-example-functions", 82)]
    public void Estimate_is_within_fifteen_percent_of_the_upstream_count(string example, int reported)
    {
        ChatRequest request = ParseCurlChat(Fixtures.Text(example + ".request.curl.txt"));
        Assert.Contains(reported.ToString(System.Globalization.CultureInfo.InvariantCulture), Fixtures.Text(example + ".response.json"), StringComparison.Ordinal);

        long estimate = PromptTokenCount.Count(request, TestContext.Current.CancellationToken);
        double error = (estimate - reported) / (double)reported;
        output.WriteLine($"{example}: estimate {estimate}, reported {reported}, error {error:P1}");
        Assert.InRange(error, -0.15, 0.15);
    }

    [Fact]
    public void Images_and_tools_add_their_documented_costs()
    {
        var plain = new ChatRequest { Model = "m", Messages = [new ChatMessage(ChatRole.User, "hi")] };
        var withImage = plain with { Messages = [new ChatMessage(ChatRole.User, [new TextPart("hi"), new ImagePart { Url = "https://example.invalid/a.png" }])] };
        Assert.Equal(765, PromptTokenCount.Count(withImage, TestContext.Current.CancellationToken) - PromptTokenCount.Count(plain, TestContext.Current.CancellationToken));

        using var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""");
        var withTool = plain with { Tools = [new ChatTool("weather") { Parameters = schema.RootElement.Clone() }] };
        long toolCost = PromptTokenCount.Count(withTool, TestContext.Current.CancellationToken) - PromptTokenCount.Count(plain, TestContext.Current.CancellationToken);
        Assert.Equal(7 + 12 + O200kTokenCounter.Count("weather") + 3 + O200kTokenCounter.Count("city") + O200kTokenCounter.Count("string"), toolCost);
    }

    private static ChatRequest ParseCurlChat(string curl)
    {
        int start = curl.IndexOf("-d '", StringComparison.Ordinal) + 4;
        int end = curl.LastIndexOf('\'');
        byte[] body = Encoding.UTF8.GetBytes(curl[start..end]);
        Assert.True(ChatCompletionsRequestReader.TryParseRequest(body, "gpt-5.4", out ChatCompletionsRequest? parsed, out BackendError? error), error?.Message);
        return parsed.Request;
    }
}
