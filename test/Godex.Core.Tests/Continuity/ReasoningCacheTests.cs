using Godex.Core.Configuration;
using Godex.Core.Continuity;
using Godex.Core.Conversation;
using Godex.TestUtilities;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Continuity;

public sealed class ReasoningCacheTests
{
    private static readonly ReasoningPart s_thinking = new() { Text = "I will call the tool.", Signature = "sig-1" };

    private static ChatRequest Turn2(string callId, string model = "claude-sonnet-4-5") => new()
    {
        Model = model,
        Messages =
        [
            new ChatMessage(ChatRole.User, "weather?"),
            new ChatMessage(ChatRole.Assistant, [new TextPart("Calling."), new ToolCallPart(callId, "get_weather", "{}")]),
            new ChatMessage(ChatRole.Tool, [new ToolResultPart(callId) { Content = [new TextPart("sunny")] }]),
        ],
    };

    private static void Remember(ReasoningCache cache, string scope, string callId, ReasoningPart? part = null) =>
        cache.Remember(scope, "anthropic", "claude-sonnet-4-5", [new AnchoredReasoning(part ?? s_thinking, callId)], [callId]);

    [Fact]
    public void Restore_SameScopeBackendAndModel_ThinkingFirstInTheAssistantMessage()
    {
        var cache = new ReasoningCache(new ReasoningCacheOptions(), new FakeTimeProvider());
        Remember(cache, "key_a", "toolu_1");

        ChatRequest restored = ReasoningContinuity.Restore(Turn2("toolu_1"), "key_a", "anthropic", cache);

        Assert.Equal([s_thinking, new TextPart("Calling."), restored.Messages[1].Parts[2]], restored.Messages[1].Parts);
        Assert.IsType<ToolCallPart>(restored.Messages[1].Parts[2]);
    }

    [Theory]
    [InlineData("key_b", "anthropic", "claude-sonnet-4-5")]
    [InlineData("key_a", "codex", "claude-sonnet-4-5")]
    [InlineData("key_a", "anthropic", "claude-opus-4-5")]
    public void Restore_OtherScopeBackendOrModel_Unchanged(string scope, string backend, string model)
    {
        var cache = new ReasoningCache(new ReasoningCacheOptions(), new FakeTimeProvider());
        Remember(cache, "key_a", "toolu_1");
        ChatRequest request = Turn2("toolu_1", model);

        Assert.Same(request, ReasoningContinuity.Restore(request, scope, backend, cache));
    }

    [Fact]
    public void Restore_MessageWithItsOwnSignedThinking_Untouched()
    {
        var cache = new ReasoningCache(new ReasoningCacheOptions(), new FakeTimeProvider());
        Remember(cache, "key_a", "toolu_1");
        ChatRequest request = Turn2("toolu_1");
        request = request with { Messages = [request.Messages[0], request.Messages[1] with { Parts = [new ReasoningPart { Text = "own", Signature = "own-sig" }, .. request.Messages[1].Parts] }, request.Messages[2]] };

        Assert.Same(request, ReasoningContinuity.Restore(request, "key_a", "anthropic", cache));
    }

    [Fact]
    public void Find_AfterTtl_Gone()
    {
        var time = new FakeTimeProvider();
        var cache = new ReasoningCache(new ReasoningCacheOptions { Ttl = TimeSpan.FromMinutes(10) }, time);
        Remember(cache, "key_a", "toolu_1");
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(cache.Find("key_a", "toolu_1"));

        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(cache.Find("key_a", "toolu_1"));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Remember_OverEntryBound_LeastRecentlyUsedGoesFirst()
    {
        var cache = new ReasoningCache(new ReasoningCacheOptions { MaxEntries = 2 }, new FakeTimeProvider());
        Remember(cache, "s", "t1");
        Remember(cache, "s", "t2");
        Assert.NotNull(cache.Find("s", "t1")); // t1 is now the most recent

        Remember(cache, "s", "t3");

        Assert.Equal(2, cache.Count);
        Assert.NotNull(cache.Find("s", "t1"));
        Assert.Null(cache.Find("s", "t2"));
        Assert.NotNull(cache.Find("s", "t3"));
    }

    [Fact]
    public void Remember_OverByteBound_EvictsUntilItFits_AndRefusesATurnLargerThanTheBound()
    {
        var big = new ReasoningPart { Text = new string('x', 600), Signature = "s" };
        var cache = new ReasoningCache(new ReasoningCacheOptions { MaxBytes = 1000 }, new FakeTimeProvider());
        Remember(cache, "s", "t1", big);
        Remember(cache, "s", "t2", big);

        Assert.Equal(1, cache.Count);
        Assert.Null(cache.Find("s", "t1"));
        Assert.Equal(601, cache.Bytes);

        Remember(cache, "s", "t3", new ReasoningPart { Text = new string('y', 2000), Signature = "s" });
        Assert.Null(cache.Find("s", "t3"));
        Assert.Equal(601, cache.Bytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpstreamCall_RemembersOnlyWhenTheRequestDeclaresTools(bool declaresTools)
    {
        // Without tools a turn cannot call one, so UpstreamCall leaves out the remembering layer (one async iterator
        // hop less for every event); the events reach the client the same either way.
        var cache = new ReasoningCache(new ReasoningCacheOptions(), new FakeTimeProvider());
        StreamEvent[] script =
        [
            new ReasoningCompletedEvent(s_thinking),
            new ToolCallStartedEvent(0, "toolu_1", "get_weather"),
            new ResponseCompletedEvent(FinishReason.ToolCalls, Usage.Empty),
        ];
        var backend = new FakeChatBackend("anthropic", script);
        var request = new ChatRequest
        {
            Model = "claude-sonnet-4-5",
            Messages = [new ChatMessage(ChatRole.User, "weather?")],
            Tools = declaresTools ? [new ChatTool("get_weather")] : [],
        };

        var seen = new List<StreamEvent>();
        await foreach (StreamEvent streamEvent in UpstreamCall.StreamAsync(backend, request, "s", cache, TestContext.Current.CancellationToken))
        {
            seen.Add(streamEvent);
        }

        Assert.Equal(script, seen);
        Assert.Equal(declaresTools, cache.Find("s", "toolu_1") is not null);
    }

    [Fact]
    public async Task RememberAsync_InterleavedThinking_RestoredBeforeTheCallItPreceded()
    {
        var cache = new ReasoningCache(new ReasoningCacheOptions(), new FakeTimeProvider());
        var second = new ReasoningPart { Text = "then the forecast", Signature = "sig-2" };
        StreamEvent[] events =
        [
            new ReasoningCompletedEvent(s_thinking),
            new ToolCallStartedEvent(0, "toolu_1", "get_weather"),
            new ReasoningCompletedEvent(new ReasoningPart { Text = "plain, unsigned" }),
            new ReasoningCompletedEvent(second),
            new ToolCallStartedEvent(1, "toolu_2", "get_forecast"),
            new ResponseCompletedEvent(FinishReason.ToolCalls, Usage.Empty),
        ];
        await foreach (StreamEvent _ in ReasoningContinuity.RememberAsync(events.ToAsyncEnumerable(), "s", "anthropic", "m", cache, TestContext.Current.CancellationToken))
        {
        }

        var request = new ChatRequest
        {
            Model = "m",
            Messages = [new ChatMessage(ChatRole.Assistant, [new ToolCallPart("toolu_1", "get_weather", "{}"), new ToolCallPart("toolu_2", "get_forecast", "{}")])],
        };
        IReadOnlyList<ContentPart> parts = ReasoningContinuity.Restore(request, "s", "anthropic", cache).Messages[0].Parts;

        Assert.Equal(4, parts.Count);
        Assert.Same(s_thinking, parts[0]);
        Assert.Equal("toolu_1", Assert.IsType<ToolCallPart>(parts[1]).CallId);
        Assert.Same(second, parts[2]);
        Assert.Equal("toolu_2", Assert.IsType<ToolCallPart>(parts[3]).CallId);
    }
}
