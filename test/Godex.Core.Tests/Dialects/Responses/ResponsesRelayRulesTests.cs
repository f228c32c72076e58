using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Responses;

/// <summary>What the passthrough relay learns from a Responses upstream's events.</summary>
public sealed class ResponsesRelayRulesTests
{
    private static readonly ResponsesRelayRules s_rules = ResponsesRelayRules.Instance;

    [Fact]
    public void UsageTap_ReadsTheTerminalEvent_PastALargeOutput()
    {
        string output = string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"type":"message","id":"msg_{{i}}","content":[{"type":"output_text","text":"usage {{i}}","annotations":[]}]}"""));
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.Observe(RelayFrames.Frame("response.created", """{"type":"response.created","response":{"id":"r","usage":null}}"""));
        tap.Observe(RelayFrames.Frame("response.completed", """{"type":"response.completed","sequence_number":9,"response":{"id":"r","output":[""" + output + """],"usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":64},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":150}}}"""));

        Assert.Equal(new Usage { InputTokens = 120, CachedInputTokens = 64, OutputTokens = 30, ReasoningTokens = 12 }, tap.Usage);
    }

    [Fact]
    public void UsageTap_ReadsAResponseObject_AndKeepsWhatItHadForAnEmptyOne()
    {
        IRelayUsageTap tap = s_rules.CreateUsageTap();
        tap.ObserveJson("""{"id":"r","object":"response","usage":{"input_tokens":7,"input_tokens_details":[],"output_tokens":2,"output_tokens_details":{"other":1}}}"""u8);
        tap.Observe(RelayFrames.Frame("response.failed", """{"type":"response.failed","response":{"id":"r","usage":{}}}"""));

        Assert.Equal(new Usage { InputTokens = 7, OutputTokens = 2 }, tap.Usage);
    }
}
