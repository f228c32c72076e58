using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// The official OpenAI .NET SDK against a real godex on 127.0.0.1, whose providers talk HTTP to the built-in
/// simulator: the whole path a user's request takes, on a Codex model and on a Claude model.
/// </summary>
public sealed class SimulatorEndToEndTests
{
    private static readonly BinaryData s_weatherSchema = BinaryData.FromString("""
        {"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]}
        """);

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task CompleteChat_ReturnsTextStopAndUsage(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        ChatClient client = CreateClient(godex, model);

        ChatCompletion completion = (await client.CompleteChatAsync([new UserChatMessage("Say hello")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Contains("Say hello", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("claude-sonnet-4-5")]
    public async Task CompleteChatStreaming_StreamsTextThenStopAndUsage(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        ChatClient client = CreateClient(godex, model);

        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync([new UserChatMessage("Stream a greeting")], cancellationToken: TestContext.Current.CancellationToken))
        {
            updates++;
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(updates > 3, $"expected several chunks, got {updates}");
        Assert.Contains("Stream a greeting", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
    }

    [Theory]
    [InlineData("gpt-5.2-codex", false)]
    [InlineData("gpt-5.2-codex", true)]
    [InlineData("sonnet", false)]
    [InlineData("sonnet", true)]
    public async Task ToolCall_TwoTurns_CallsToolThenAnswersFromResult(string model, bool stream)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        ChatClient client = CreateClient(godex, model);
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", s_weatherSchema) } };
        List<ChatMessage> messages = [new SystemChatMessage("You are terse."), new UserChatMessage("What is the weather in Paris? Use the get_weather tool.")];

        (string callId, string name, string arguments, ChatFinishReason finish) = stream
            ? await StreamToolCallAsync(client, messages, options)
            : await CompleteToolCallAsync(client, messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("get_weather", name);
        Assert.False(string.IsNullOrEmpty(callId));
        using (JsonDocument args = JsonDocument.Parse(arguments))
        {
            Assert.False(string.IsNullOrEmpty(args.RootElement.GetProperty("city").GetString()));
        }

        messages.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(callId, name, BinaryData.FromString(arguments))]));
        messages.Add(new ToolChatMessage(callId, "18 degrees and sunny"));
        ChatCompletion second = (await client.CompleteChatAsync(messages, options, TestContext.Current.CancellationToken)).Value;

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Contains("18 degrees and sunny", second.Content[0].Text, StringComparison.Ordinal);
        Assert.True(second.Usage.TotalTokenCount > 0);
    }

    private static async Task<(string CallId, string Name, string Arguments, ChatFinishReason Finish)> CompleteToolCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        ChatCompletion completion = (await client.CompleteChatAsync(messages, options, TestContext.Current.CancellationToken)).Value;
        ChatToolCall call = Assert.Single(completion.ToolCalls);
        return (call.Id, call.FunctionName, call.FunctionArguments.ToString(), completion.FinishReason);
    }

    private static async Task<(string CallId, string Name, string Arguments, ChatFinishReason Finish)> StreamToolCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        string? callId = null;
        string? name = null;
        var arguments = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(messages, options, TestContext.Current.CancellationToken))
        {
            foreach (StreamingChatToolCallUpdate call in update.ToolCallUpdates)
            {
                Assert.Equal(0, call.Index);
                callId ??= call.ToolCallId;
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        return (callId!, name!, arguments.ToString(), finish!.Value);
    }

    private static ChatClient CreateClient(GodexAppHarness godex, string model) =>
        new(model, new ApiKeyCredential("any-local-key"), new OpenAIClientOptions { Endpoint = godex.OpenAIEndpoint, NetworkTimeout = TimeSpan.FromSeconds(30) });
}
