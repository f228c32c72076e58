using System.Text;
using Godex.Core.Backends.Anthropic;

namespace Godex.Core.Tests.Backends.Anthropic;

public sealed class AnthropicPassthroughTests
{
    private const string Identity = "You are Claude Code, Anthropic's official CLI for Claude.";

    [Fact]
    public void PrepareBody_ApiKey_RewritesOnlyTheModel()
    {
        const string body = """{ "model" : "sonnet", "messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"a\u00e9 \"q\"","signature":"Zz+/=="}]}], "x": {"model":"inner"} }""";

        string result = Prepare(body, "claude-sonnet-4-5", identity: null);

        Assert.Equal(body.Replace("\"model\" : \"sonnet\"", "\"model\" : \"claude-sonnet-4-5\"", StringComparison.Ordinal), result);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":1}""", """{"system":[{"type":"text","text":"IDENTITY"}],"model":"x","max_tokens":1}""")]
    [InlineData("""{"model":"m","system":"Be terse."}""", """{"model":"x","system":[{"type":"text","text":"IDENTITY"},{"type":"text","text":"Be terse."}]}""")]
    [InlineData("""{"model":"m","system":[{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral"}}]}""", """{"model":"x","system":[{"type":"text","text":"IDENTITY"},{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral"}}]}""")]
    [InlineData("""{"model":"m","system":[]}""", """{"model":"x","system":[{"type":"text","text":"IDENTITY"}]}""")]
    [InlineData("""{"model":"m","system":[{"type":"text","text":"IDENTITY Already."}]}""", """{"model":"x","system":[{"type":"text","text":"IDENTITY Already."}]}""")]
    [InlineData("""{"model":"m","system":"IDENTITY too"}""", """{"model":"x","system":"IDENTITY too"}""")]
    public void PrepareBody_OAuth_PutsTheIdentityBlockFirst(string body, string expected)
    {
        string result = Prepare(body.Replace("IDENTITY", Identity, StringComparison.Ordinal), "x", Identity);

        Assert.Equal(expected.Replace("IDENTITY", Identity, StringComparison.Ordinal), result);
    }

    [Fact]
    public void PrepareBody_ApiKeyAndTheSameModel_IsTheClientsBodyItself()
    {
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}""");

        ReadOnlyMemory<byte> prepared = AnthropicPassthroughBody.PrepareBody(body, "claude-sonnet-4-5", identity: null);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(prepared, out ArraySegment<byte> segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(body.Length, segment.Count);
    }

    [Theory]
    [InlineData("""{"model":{"id":"m"},"max_tokens":1}""", """{"model":"x","max_tokens":1}""")]
    [InlineData("""{"model":["m"],"max_tokens":1}""", """{"model":"x","max_tokens":1}""")]
    [InlineData("""{"model":7,"max_tokens":1}""", """{"model":"x","max_tokens":1}""")]
    public void PrepareBody_AModelThatIsNotAString_IsReplacedWhole(string body, string expected)
    {
        Assert.Equal(expected, Prepare(body, "x", identity: null));
    }

    private static string Prepare(string body, string model, string? identity) =>
        Encoding.UTF8.GetString(AnthropicPassthroughBody.PrepareBody(Encoding.UTF8.GetBytes(body), model, identity).Span);
}
