using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;

namespace Godex.Core.Tests.Dialects.Messages;

/// <summary>What the passthrough relay learns from an Anthropic upstream's events.</summary>
public sealed class MessagesRelayRulesTests
{
    private static readonly MessagesRelayRules s_rules = MessagesRelayRules.Instance;

    [Theory]
    [InlineData("message_start", """{"type":"message_start","message":{"id":"m"}}""", "Preamble")]
    [InlineData("ping", """{"type": "ping"}""", "Preamble")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}""", "Content")]
    [InlineData("message_stop", """{"type":"message_stop"}""", "Terminal")]
    [InlineData("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", "Error")]
    [InlineData("", """{"type":"message_stop"}""", "Terminal")]
    [InlineData("content_block_delta", """{"type":""", "Malformed")]
    public void Classify(string eventType, string data, string expected) =>
        Assert.Equal(expected, s_rules.Classify(RelayFrames.Frame(eventType, data)).ToString());

    [Fact]
    public void UsageTap_AddsTheStartAndTheDelta_AsAnthropicReportsThem()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.Observe(RelayFrames.Frame("message_start", """{"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":11,"cache_creation_input_tokens":3,"cache_read_input_tokens":40,"output_tokens":1,"service_tier":"standard"}}}"""));
        tap.Observe(RelayFrames.Frame("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\"usage\""}}"""));
        tap.Observe(RelayFrames.Frame("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}"""));

        Assert.Equal(new Usage { InputTokens = 54, CachedInputTokens = 40, CacheCreationInputTokens = 3, OutputTokens = 6 }, tap.Usage);
    }

    [Fact]
    public void UsageTap_ReadsAJsonAnswer_AndIgnoresValuesThatAreNotCounts()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.ObserveJson("""{"id":"m","type":"message","message":"not an object","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":9,"output_tokens":"x","cache_read_input_tokens":null}}"""u8);

        Assert.Equal(new Usage { InputTokens = 9 }, tap.Usage);
    }

    [Fact]
    public void UsageTap_KeepsWhatItHad_WhenAnEventIsNotJsonItUnderstands()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.ObserveJson("""{"usage":{"input_tokens":5,"output_tokens":2}}"""u8);
        tap.ObserveJson("""{"usage":"""u8);
        tap.ObserveJson("[1,2]"u8);

        Assert.Equal(new Usage { InputTokens = 5, OutputTokens = 2 }, tap.Usage);
    }
}
