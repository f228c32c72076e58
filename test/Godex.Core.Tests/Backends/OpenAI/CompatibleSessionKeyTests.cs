using System.Text;
using Godex.Core.Backends.OpenAI;

namespace Godex.Core.Tests.Backends.OpenAI;

/// <summary>
/// What keeps a passed-through chat conversation on one key of a custom backend's pool: every turn repeats the
/// conversation's start (system messages and the first user message), so the key is the same turn after turn.
/// </summary>
public sealed class CompatibleSessionKeyTests
{
    private const string FirstTurn = """{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"plan a trip"}],"stream":true}""";
    private const string LaterTurn = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"plan a trip"},{"role":"assistant","content":"Where to?"},{"role":"user","content":"Lisbon"}],"model":"gpt-4o","temperature":0.2}""";

    [Fact]
    public void SessionKey_LaterTurnsOfOneConversation_AreTheSame()
    {
        string? first = Key(FirstTurn);

        Assert.NotNull(first);
        Assert.StartsWith("h:", first, StringComparison.Ordinal);
        Assert.Equal(first, Key(LaterTurn));
    }

    [Fact]
    public void SessionKey_AnotherFirstMessage_IsAnotherConversation() =>
        Assert.NotEqual(Key(FirstTurn), Key(FirstTurn.Replace("plan a trip", "write a poem", StringComparison.Ordinal)));

    [Fact]
    public void SessionKey_TheClientsPromptCacheKey_NamesTheConversation() =>
        Assert.Equal("s:conv-7", Key("""{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"prompt_cache_key":"conv-7"}"""));

    [Theory]
    [InlineData("""{"model":"gpt-4o"}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"messages":[{"role":"user","content":""")]
    public void SessionKey_NoConversationOrNotJson_IsNull(string body) => Assert.Null(Key(body));

    private static string? Key(string body) => CompatiblePassthroughBody.SessionKey(Encoding.UTF8.GetBytes(body));
}
