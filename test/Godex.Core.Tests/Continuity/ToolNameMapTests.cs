using Godex.Core.Continuity;
using Godex.Core.Conversation;

namespace Godex.Core.Tests.Continuity;

public sealed class ToolNameMapTests
{
    private const string Long1 = "mcp__plugin_everything-claude-code_github__create_pull_request_review";
    private const string Long2 = "mcp__plugin_everything-claude-code_github__create_pull_request_reviewer";

    [Fact]
    public void ShortName_Over64_Deterministic64CharsWithHashSuffix()
    {
        string once = ToolNameMap.ShortName(Long1);

        Assert.Equal(64, once.Length);
        Assert.Equal(once, ToolNameMap.ShortName(Long1));
        Assert.StartsWith(Long1[..55] + "_", once, StringComparison.Ordinal);
        Assert.NotEqual(once, ToolNameMap.ShortName(Long2));
        Assert.Equal("get_weather", ToolNameMap.ShortName("get_weather"));
    }

    [Fact]
    public void Shorten_ToolsChoiceAndHistory_SameShortNameEverywhere_RestoredInEvents()
    {
        var request = new ChatRequest
        {
            Model = "m",
            Tools = [new ChatTool(Long1), new ChatTool(Long2), new ChatTool("short")],
            ToolChoice = new ToolChoice(ToolChoiceMode.Named, Long2),
            Messages = [new ChatMessage(ChatRole.Assistant, [new ToolCallPart("c1", Long1, "{}")])],
        };
        ToolNameMap map = ToolNameMap.For(request);

        ChatRequest upstream = map.Shorten(request);

        string short1 = ToolNameMap.ShortName(Long1);
        Assert.Equal([short1, ToolNameMap.ShortName(Long2), "short"], upstream.Tools.Select(t => t.Name));
        Assert.Equal(ToolNameMap.ShortName(Long2), upstream.ToolChoice!.Name);
        Assert.Equal(short1, Assert.IsType<ToolCallPart>(upstream.Messages[0].Parts[0]).Name);
        Assert.Equal(Long1, Assert.IsType<ToolCallStartedEvent>(map.Restore(new ToolCallStartedEvent(0, "c2", short1))).Name);
        var completed = Assert.IsType<ToolCallCompletedEvent>(map.Restore(new ToolCallCompletedEvent(0, new ToolCallPart("c2", short1, "{}"))));
        Assert.Equal(Long1, completed.Call.Name);
    }

    [Fact]
    public void Shorten_ShortNameAlreadyTaken_MoreHashDigits()
    {
        string taken = ToolNameMap.ShortName(Long1);
        var request = new ChatRequest { Model = "m", Tools = [new ChatTool(taken), new ChatTool(Long1)], Messages = [] };

        ChatRequest upstream = ToolNameMap.For(request).Shorten(request);

        Assert.Equal(taken, upstream.Tools[0].Name);
        Assert.Equal(ToolNameMap.ShortName(Long1, 16), upstream.Tools[1].Name);
        Assert.Equal(64, upstream.Tools[1].Name.Length);
    }

    [Fact]
    public void For_NoLongNames_SameRequest()
    {
        var request = new ChatRequest { Model = "m", Tools = [new ChatTool("a")], Messages = [] };
        Assert.Same(request, ToolNameMap.For(request).Shorten(request));
    }
}
