using System.ClientModel;
using System.Text;
using Godex.Core.Conversation;
using Godex.TestUtilities;
using OpenAI;
using OpenAI.Chat;
using SdkChatMessage = OpenAI.Chat.ChatMessage;
using SdkChatTool = OpenAI.Chat.ChatTool;

namespace Godex.Server.Tests.Chat;

/// <summary>The official OpenAI .NET SDK as a real client against the chat front door.</summary>
public sealed class OpenAISdkTests
{
    private const string Key = "sk-sdk-test";

    private static readonly Usage s_usage = new() { InputTokens = 20, OutputTokens = 9, CachedInputTokens = 8, ReasoningTokens = 3 };

    private static ChatClient Client(KestrelTestHost host) =>
        new("gpt-5.2-codex", new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });

    private static Task<KestrelTestHost> StartAsync(params StreamEvent[] events) =>
        ChatTestServer.StartAsync(new FakeChatBackend("codex", events), o => o.Proxy.ApiKey = Key);

    [Fact]
    public async Task CompleteChat_Text_FinishReasonAndUsage()
    {
        await using KestrelTestHost host = await StartAsync(
            new TextDeltaEvent("Hello"), new TextDeltaEvent(" there"), new ResponseCompletedEvent(FinishReason.Stop, s_usage));

        ChatCompletion completion = await Client(host).CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("Hello there", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(20, completion.Usage.InputTokenCount);
        Assert.Equal(9, completion.Usage.OutputTokenCount);
        Assert.Equal(29, completion.Usage.TotalTokenCount);
        Assert.Equal(8, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(3, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_Text_UpdatesFinishReasonAndUsage()
    {
        await using KestrelTestHost host = await StartAsync(
            new TextDeltaEvent("Hel"), new TextDeltaEvent("lo"), new ResponseCompletedEvent(FinishReason.Length, s_usage));

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (StreamingChatCompletionUpdate update in Client(host).CompleteChatStreamingAsync(
            [new UserChatMessage("hi")], new ChatCompletionOptions(), TestContext.Current.CancellationToken))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Hello", text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(29, usage.TotalTokenCount);
    }

    [Fact]
    public async Task CompleteChat_ToolCall_RoundTripsToolDefinitionAndCall()
    {
        var backend = new FakeChatBackend("codex",
            new ToolCallStartedEvent(0, "call_1", "get_weather"),
            new ToolCallArgumentsDeltaEvent(0, "{\"city\":\"Paris\"}"),
            new ToolCallCompletedEvent(0, new ToolCallPart("call_1", "get_weather", "{\"city\":\"Paris\"}")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, s_usage));
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend, o => o.Proxy.ApiKey = Key);
        var options = new ChatCompletionOptions
        {
            Tools = { SdkChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
            ToolChoice = ChatToolChoice.CreateAutoChoice(),
        };
        SdkChatMessage[] messages =
        [
            new UserChatMessage("weather?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_0", "get_weather", BinaryData.FromString("{}"))]),
            new ToolChatMessage("call_0", "city missing"),
        ];

        ChatCompletion completion = await Client(host).CompleteChatAsync(messages, options, TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        ChatToolCall call = Assert.Single(completion.ToolCalls);
        Assert.Equal(("call_1", "get_weather", "{\"city\":\"Paris\"}"), (call.Id, call.FunctionName, call.FunctionArguments.ToString()));

        ChatRequest request = Assert.Single(backend.Requests);
        Assert.Equal("get_weather", Assert.Single(request.Tools).Name);
        Assert.Equal(ToolChoiceMode.Auto, request.ToolChoice!.Mode);
        Assert.Equal("call_0", Assert.IsType<ToolCallPart>(Assert.Single(request.Messages[1].Parts)).CallId);
        Assert.Equal("city missing", Assert.IsType<ToolResultPart>(Assert.Single(request.Messages[2].Parts)).Text);
    }

    [Fact]
    public async Task CompleteChatStreaming_ToolCall_ArgumentsReassembled()
    {
        await using KestrelTestHost host = await StartAsync(
            new ToolCallStartedEvent(0, "call_1", "get_weather"),
            new ToolCallArgumentsDeltaEvent(0, "{\"city\":"),
            new ToolCallArgumentsDeltaEvent(0, "\"Paris\"}"),
            new ToolCallCompletedEvent(0, new ToolCallPart("call_1", "get_weather", "{\"city\":\"Paris\"}")),
            new ResponseCompletedEvent(FinishReason.ToolCalls, s_usage));

        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in Client(host).CompleteChatStreamingAsync(
            [new UserChatMessage("weather?")], new ChatCompletionOptions(), TestContext.Current.CancellationToken))
        {
            foreach (StreamingChatToolCallUpdate call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("{\"city\":\"Paris\"}", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task CompleteChat_WrongKey_ClientResultException401()
    {
        await using KestrelTestHost host = await StartAsync(new ResponseCompletedEvent(FinishReason.Stop, s_usage));
        var client = new ChatClient("gpt-5.2-codex", new ApiKeyCredential("nope"), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });

        ClientResultException ex = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(401, ex.Status);
    }
}
