using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// Issue 16, defect 1: reasoning effort + tools through <c>/v1/chat/completions</c> on a Claude model, turn 2. The
/// simulator enforces the real API's rule (with thinking on, the assistant turn a tool loop continues must start with
/// its signed thinking block), so turn 2 fails exactly as on the real API unless godex brings the block back. The
/// three paths of docs/proxy.md, each tested: (a) godex restores it from its cache (the OpenAI .NET SDK drops unknown
/// fields), (b) the client echoes <c>thinking_blocks</c> (raw JSON here, openai-node in test/clients), (c) neither:
/// godex sends that continuation without thinking.
/// </summary>
public sealed class ReasoningToolLoopTests
{
    private const string MessagesPath = "/v1/messages";

    private static readonly BinaryData s_weatherSchema = BinaryData.FromString("""
        {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}
        """);

#pragma warning disable OPENAI001 // reasoning_effort is what this test is about; the SDK marks it experimental.
    private static ChatCompletionOptions Options() => new()
    {
        ReasoningEffortLevel = ChatReasoningEffortLevel.Low,
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", s_weatherSchema) },
    };
#pragma warning restore OPENAI001

    private static ChatClient Client(RecordingSimulator sim, string model = "sonnet") =>
        new(model, new ApiKeyCredential("any-local-key"), new OpenAIClientOptions { Endpoint = sim.Godex.OpenAIEndpoint, NetworkTimeout = TimeSpan.FromSeconds(30) });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DotNetSdk_DropsThinking_GodexRestoresItFromItsCache(bool stream)
    {
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync();
        ChatClient client = Client(sim);
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris? Use the get_weather tool.")];

        ChatToolCall call = stream ? await StreamToolCallAsync(client, messages) : Assert.Single((await client.CompleteChatAsync(messages, Options(), TestContext.Current.CancellationToken)).Value.ToolCalls);
        messages.Add(new AssistantChatMessage([call]));
        messages.Add(new ToolChatMessage(call.Id, "18 degrees and sunny"));
        ChatCompletion second = (await client.CompleteChatAsync(messages, Options(), TestContext.Current.CancellationToken)).Value;

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Contains("18 degrees and sunny", second.Content[0].Text, StringComparison.Ordinal);
        JsonElement[] sent = [.. sim.UpstreamBodies(MessagesPath)];
        Assert.Equal(2, sent.Length);
        Assert.Equal("enabled", sent[1].GetProperty("thinking").GetProperty("type").GetString());
        JsonElement firstThinking = sent[0].GetProperty("thinking");
        Assert.Equal(1024, firstThinking.GetProperty("budget_tokens").GetInt32());
        JsonElement assistant = sent[1].GetProperty("messages")[1];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Equal("thinking", assistant.GetProperty("content")[0].GetProperty("type").GetString());
        JsonElement blocks = assistant.GetProperty("content");
        Assert.Equal("tool_use", blocks[blocks.GetArrayLength() - 1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task DotNetSdk_ThinkingNotRestorable_ContinuationWithoutThinking()
    {
        // The cache off stands for every case where godex has nothing to restore: expired, another client key, a restart.
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync(o => o.Proxy.ReasoningCache.MaxEntries = 0);
        ChatClient client = Client(sim);
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris? Use the get_weather tool.")];

        ChatCompletion first = (await client.CompleteChatAsync(messages, Options(), TestContext.Current.CancellationToken)).Value;
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(Assert.Single(first.ToolCalls).Id, "18 degrees and sunny"));
        ChatCompletion second = (await client.CompleteChatAsync(messages, Options(), TestContext.Current.CancellationToken)).Value;

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Contains("18 degrees and sunny", second.Content[0].Text, StringComparison.Ordinal);
        JsonElement turn2 = sim.UpstreamBodies(MessagesPath)[1];
        Assert.False(turn2.TryGetProperty("thinking", out _), turn2.GetRawText());
        Assert.Equal("text", turn2.GetProperty("messages")[1].GetProperty("content")[0].GetProperty("type").GetString());

        // The next user turn thinks again.
        messages.Add(new AssistantChatMessage(second));
        messages.Add(new UserChatMessage("Thanks. And tomorrow?"));
        ChatCompletion third = (await client.CompleteChatAsync(messages, Options(), TestContext.Current.CancellationToken)).Value;
        Assert.Equal(ChatFinishReason.Stop, third.FinishReason);
        Assert.Equal("enabled", sim.UpstreamBodies(MessagesPath)[2].GetProperty("thinking").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(false, HttpStatusCode.OK)]
    [InlineData(true, HttpStatusCode.BadRequest)]
    public async Task ThinkingBlocks_EchoedByTheClient_ReachAnthropicByteForByte(bool tamper, HttpStatusCode expected)
    {
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync(o => o.Proxy.ReasoningCache.MaxEntries = 0);
        const string tools = """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";
        string turn1 = $$"""{"model":"sonnet","reasoning_effort":"low","tools":{{tools}},"messages":[{"role":"user","content":"Weather in Paris? Use the get_weather tool."}]}""";
        JsonElement message = (await PostAsync(sim, turn1, HttpStatusCode.OK)).GetProperty("choices")[0].GetProperty("message");
        Assert.False(string.IsNullOrEmpty(message.GetProperty("reasoning_content").GetString()));
        JsonElement block = Assert.Single(message.GetProperty("thinking_blocks").EnumerateArray());
        Assert.Equal("thinking", block.GetProperty("type").GetString());
        Assert.Equal(message.GetProperty("reasoning_content").GetString(), block.GetProperty("thinking").GetString());

        string echoed = message.GetRawText();
        if (tamper)
        {
            echoed = echoed.Replace(block.GetProperty("thinking").GetString()!, "an edited thought", StringComparison.Ordinal);
        }

        string callId = message.GetProperty("tool_calls")[0].GetProperty("id").GetString()!;
        string turn2 = $$"""{"model":"sonnet","reasoning_effort":"low","tools":{{tools}},"messages":[{"role":"user","content":"Weather in Paris? Use the get_weather tool."},{{echoed}},{"role":"tool","tool_call_id":"{{callId}}","content":"18 degrees and sunny"}]}""";
        JsonElement answer = await PostAsync(sim, turn2, expected);

        if (tamper)
        {
            // The client's block, not a copy godex kept, went upstream: its edited text no longer matches the signature.
            Assert.Contains("Invalid `signature` in `thinking` block", answer.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            return;
        }

        Assert.Contains("18 degrees and sunny", answer.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        JsonElement sentBlock = sim.UpstreamBodies(MessagesPath)[1].GetProperty("messages")[1].GetProperty("content")[0];
        Assert.Equal(block.GetProperty("signature").GetString(), sentBlock.GetProperty("signature").GetString());
        Assert.Equal(block.GetProperty("thinking").GetString(), sentBlock.GetProperty("thinking").GetString());
    }

    [Fact]
    public async Task Stream_ThinkingBlocksChunk_CarriesTheSignedBlock()
    {
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync();
        using var content = new StringContent("""{"model":"sonnet","stream":true,"reasoning_effort":"low","messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await sim.Godex.Http.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        List<JsonElement> deltas = [.. text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone())
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))];
        string reasoning = string.Concat(deltas.Where(d => d.TryGetProperty("reasoning_content", out _)).Select(d => d.GetProperty("reasoning_content").GetString()));
        JsonElement block = Assert.Single(deltas, d => d.TryGetProperty("thinking_blocks", out _)).GetProperty("thinking_blocks")[0];
        Assert.Equal(reasoning, block.GetProperty("thinking").GetString());
        Assert.False(string.IsNullOrEmpty(block.GetProperty("signature").GetString()));
        int blockAt = deltas.FindIndex(d => d.TryGetProperty("thinking_blocks", out _));
        int firstText = deltas.FindIndex(d => d.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String && c.GetString()!.Length > 0);
        Assert.True(blockAt < firstText, "the signed block closes the reasoning before the answer starts");
    }

    private static async Task<JsonElement> PostAsync(RecordingSimulator sim, string body, HttpStatusCode expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await sim.Godex.Http.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<ChatToolCall> StreamToolCallAsync(ChatClient client, List<ChatMessage> messages)
    {
        string? id = null, name = null;
        var arguments = new StringBuilder();
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(messages, Options(), TestContext.Current.CancellationToken))
        {
            foreach (StreamingChatToolCallUpdate call in update.ToolCallUpdates)
            {
                id ??= call.ToolCallId;
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }
        }

        return ChatToolCall.CreateFunctionToolCall(id!, name!, BinaryData.FromString(arguments.ToString()));
    }
}
