using System.Text;
using Godex.Core.Buffers;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

/// <summary>What the passthrough relay learns from an OpenAI-compatible upstream's chat chunks.</summary>
public sealed class ChatCompletionsRelayRulesTests
{
    private static readonly ChatCompletionsRelayRules s_rules = ChatCompletionsRelayRules.Instance;

    [Theory]
    [InlineData("[DONE]", "Terminal")]
    [InlineData("""{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]}""", "Content")]
    [InlineData("""{"id":"c","choices":[],"usage":{"prompt_tokens":1}}""", "Content")]
    [InlineData("""{"id":"c","error":null,"choices":[]}""", "Content")]
    [InlineData("""{"error":{"message":"overloaded","code":502}}""", "Error")]
    [InlineData("""{"id":""", "Malformed")]
    public void Classify(string data, string expected) => Assert.Equal(expected, s_rules.Classify(RelayFrames.Frame("", data)).ToString());

    [Fact]
    public void ErrorOf_InStreamError_CarriesItsStatusAndMessage()
    {
        BackendError error = s_rules.ErrorOf(RelayFrames.Frame("", """{"error":{"message":"Rate limit exceeded","type":"requests","code":"rate_limit_exceeded"}}"""));

        Assert.Equal(429, error.Status);
        Assert.Equal("Rate limit exceeded", error.Message);
    }

    [Fact]
    public void UsageTap_ReadsTheUsageChunk()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.Observe(RelayFrames.Frame("", """{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"""));
        tap.Observe(RelayFrames.Frame("", """{"id":"c","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16}}"""));
        tap.Observe(RelayFrames.Frame("", "[DONE]"));

        Assert.Equal(new Usage { InputTokens = 11, OutputTokens = 5 }, tap.Usage);
    }

    [Fact]
    public void UsageTap_ReadsCachedAndReasoningTokens_AndANullUsageLeavesIt()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.Observe(RelayFrames.Frame("", """{"id":"c","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":16,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":4}}}"""));
        tap.Observe(RelayFrames.Frame("", """{"id":"c","choices":[{"index":0,"delta":{}}],"usage":null}"""));

        Assert.Equal(new Usage { InputTokens = 20, OutputTokens = 9, CachedInputTokens = 16, ReasoningTokens = 4 }, tap.Usage);
    }

    [Fact]
    public void WriteErrorEvent_IsAnErrorChunkThenDone()
    {
        using var buffer = new PooledBufferWriter();
        s_rules.WriteErrorEvent(buffer, BackendError.Upstream(502, "cut"));

        Assert.Equal("data: {\"error\":{\"message\":\"cut\",\"type\":\"api_error\",\"code\":null}}\n\ndata: [DONE]\n\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
