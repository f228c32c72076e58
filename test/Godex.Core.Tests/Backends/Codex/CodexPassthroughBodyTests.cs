using System.Text;
using System.Text.Json;
using Godex.Core.Backends.Codex;

namespace Godex.Core.Tests.Backends.Codex;

/// <summary>The Codex passthrough body, byte for byte: what is kept exactly as the client sent it, and what godex writes.</summary>
public sealed class CodexPassthroughBodyTests
{
    private const string Tail = ""","model":"gpt-5.2-codex","store":false,"stream":true""";

    [Fact]
    public void KeptValues_AreTheClientsBytes_WhitespaceAndEscapesIncluded()
    {
        const string body = """{ "model" : "codex", "x_future" : { "a" : [1, 2.50, "\u00e9\n"] }, "input" : [ {"type":"reasoning","encrypted_content":"gAAA+/=="} ], "instructions" : "be \"brief\"" }""";

        Assert.Equal(
            """{"x_future":{ "a" : [1, 2.50, "\u00e9\n"] },"input":[ {"type":"reasoning","encrypted_content":"gAAA+/=="} ],"instructions":"be \"brief""" + "\\\"\""
            + Tail + ""","include":["reasoning.encrypted_content"]}""",
            Rewrite(body));
    }

    [Fact]
    public void RejectedFields_AreDropped_PriorityTierKept()
    {
        const string body = """{"model":"m","stream":false,"store":true,"max_output_tokens":9,"temperature":0.2,"top_p":1,"previous_response_id":"resp_1","truncation":"auto","user":"u","metadata":{},"prompt_cache_retention":"24h","prompt_cache_options":{},"safety_identifier":"s","stream_options":{},"generate":true,"background":false,"conversation":"c","max_completion_tokens":3,"service_tier":"priority","input":[]}""";

        Assert.Equal("""{"service_tier":"priority","input":[]""" + Tail + ""","include":["reasoning.encrypted_content"],"instructions":"DEFAULT"}""", Rewrite(body));
        Assert.Equal("""{"input":[]""" + Tail + ""","include":["reasoning.encrypted_content"],"instructions":"DEFAULT"}""", Rewrite("""{"service_tier":"auto","input":[]}"""));
    }

    [Fact]
    public void StringInput_BecomesOneUserMessage()
    {
        Assert.Equal(
            """{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi you"}]}]""" + Tail + ""","include":["reasoning.encrypted_content"],"instructions":"DEFAULT"}""",
            Rewrite("""{"input":"hi you"}"""));
    }

    [Theory]
    [InlineData("developer")]
    [InlineData("system")]
    public void ADeveloperOrSystemMessage_CarriesTheInstructions(string role)
    {
        string body = $$"""{"input":[{"role":"user","content":"a"},{"content":"rules","role":"{{role}}"}]}""";

        Assert.EndsWith(""","instructions":""}""", Rewrite(body), StringComparison.Ordinal);
    }

    [Fact]
    public void Include_KeepsTheClientsEntries_AndAddsEncryptedReasoningOnce()
    {
        Assert.Equal("""{"include":["message.output_text.logprobs","reasoning.encrypted_content"],"input":[]""" + Tail + ""","instructions":"DEFAULT"}""",
            Rewrite("""{"include":["message.output_text.logprobs"],"input":[]}"""));
        Assert.Equal("""{"include":["reasoning.encrypted_content"],"input":[]""" + Tail + ""","instructions":"DEFAULT"}""",
            Rewrite("""{"include":["reasoning.encrypted_content"],"input":[]}"""));
        Assert.Equal("""{"include":["reasoning.encrypted_content"],"input":[]""" + Tail + ""","instructions":"DEFAULT"}""",
            Rewrite("""{"include":null,"input":[]}"""));
    }

    [Fact]
    public void AnEscapedName_IsReadForWhatItSays()
    {
        Assert.Equal("""{"input":[]""" + Tail + ""","include":["reasoning.encrypted_content"],"instructions":"DEFAULT"}""",
            Rewrite("""{"temp\u0065rature":1,"input":[]}"""));
    }

    [Fact]
    public void PromptCacheKey_IsKept_AndReturnedAsTheSessionId()
    {
        Assert.True(CodexPassthroughBody.TryRewrite(Encoding.UTF8.GetBytes("""{"prompt_cache_key":"s-1","input":[]}"""), "gpt-5.2-codex", "DEFAULT", withConversationStart: false, out CodexForwardBody forward));

        Assert.Equal("s-1", forward.PromptCacheKey);
        Assert.StartsWith("""{"prompt_cache_key":"s-1",""", Encoding.UTF8.GetString(forward.Body), StringComparison.Ordinal);
        Assert.Null(forward.ConversationStart);
    }

    [Fact]
    public void ConversationStart_IsTheInstructionsAndTheInputUpToTheFirstUserMessage()
    {
        const string first = """{"role":"developer","content":"d"}""";
        const string user = """{"role":"user","content":"hi"}""";
        string body = $$"""{"input":[{{first}},{{user}},{"role":"assistant","content":"yo"}],"instructions":"be kind"}""";

        Assert.True(CodexPassthroughBody.TryRewrite(Encoding.UTF8.GetBytes(body), "m", "DEFAULT", withConversationStart: true, out CodexForwardBody forward));

        Assert.Equal("\"be kind\"" + first + "," + user, Encoding.UTF8.GetString(forward.ConversationStart!));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("7")]
    public void ABodyThatIsNotAnObject_IsRefused(string body)
    {
        Assert.False(CodexPassthroughBody.TryRewrite(Encoding.UTF8.GetBytes(body), "m", "DEFAULT", withConversationStart: false, out _));
    }

    [Fact]
    public void ABodyThatIsNotJson_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => CodexPassthroughBody.TryRewrite("{\"input\":[}"u8, "m", "DEFAULT", withConversationStart: false, out _));
    }

    private static string Rewrite(string body)
    {
        Assert.True(CodexPassthroughBody.TryRewrite(Encoding.UTF8.GetBytes(body), "gpt-5.2-codex", "DEFAULT", withConversationStart: false, out CodexForwardBody forward));
        return Encoding.UTF8.GetString(forward.Body);
    }
}
