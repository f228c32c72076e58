using System.Runtime.CompilerServices;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Routing;

namespace Godex.Core.Tests.Routing;

public sealed class ModelRouterTests
{
    private static readonly StubBackend s_codex = new("codex");
    private static readonly StubBackend s_anthropic = new("anthropic");

    [Theory]
    [InlineData("gpt-5.2-codex", "codex", "gpt-5.2-codex", null)]
    [InlineData("sonnet", "anthropic", "claude-sonnet-4-5", "sonnet")]
    [InlineData("claude-opus-4-5", "anthropic", "claude-opus-4-5", null)]
    [InlineData("codex", "codex", "gpt-5.3-codex", "codex")]
    [InlineData("o3", "codex", "o3", null)]
    public void TryResolve_KnownNames_RouteToBackend(string requested, string backend, string model, string? alias)
    {
        var router = new ModelRouter([s_codex, s_anthropic], new RoutingOptions());

        Assert.True(router.TryResolve(requested, out ModelRoute? route));
        Assert.Equal(backend, route.Backend.Name);
        Assert.Equal(model, route.Model);
        Assert.Equal(alias, route.Alias);
    }

    [Theory]
    [InlineData("sonnet-4")]
    [InlineData("opus-latest")]
    [InlineData("haiku-next")]
    public void TryResolve_FamilyNamePrefixes_RouteToAnthropic(string requested)
    {
        var router = new ModelRouter([s_codex, s_anthropic], new RoutingOptions());

        Assert.True(router.TryResolve(requested, out ModelRoute? route));
        Assert.Equal("anthropic", route.Backend.Name);
        Assert.Equal(requested, route.Model);
    }

    [Fact]
    public void TryResolve_UnknownModel_GoesToCodexByDefault()
    {
        var router = new ModelRouter([s_codex, s_anthropic], new RoutingOptions());

        Assert.True(router.TryResolve("llama-3", out ModelRoute? route));
        Assert.Equal("codex", route.Backend.Name);
        Assert.Equal("llama-3", route.Model);
    }

    [Fact]
    public void TryResolve_UnknownModelWithDefaultConfiguredEmpty_Fails()
    {
        var router = new ModelRouter([s_codex, s_anthropic], new RoutingOptions { Default = null });

        Assert.False(router.TryResolve("llama-3", out _));
    }

    [Fact]
    public void TryResolve_UnknownModelWithDefault_GoesToDefault()
    {
        var router = new ModelRouter([s_codex, s_anthropic], new RoutingOptions { Default = "anthropic" });

        Assert.True(router.TryResolve("llama-3", out ModelRoute? route));
        Assert.Equal("anthropic", route.Backend.Name);
    }

    [Fact]
    public void TryResolve_UserAliasWinsOverBuiltIn()
    {
        var options = new RoutingOptions();
        options.Aliases["sonnet"] = "claude-sonnet-4-6";
        var router = new ModelRouter([s_codex, s_anthropic], options);

        Assert.True(router.TryResolve("SONNET", out ModelRoute? route));
        Assert.Equal("claude-sonnet-4-6", route.Model);
    }

    [Fact]
    public void TryResolve_OverlappingPatterns_FirstInConfigOrderWins()
    {
        var options = new RoutingOptions
        {
            Patterns = [new("anthropic", ["gpt-5.2"]), new("codex", ["gpt-"])],
        };
        var router = new ModelRouter([s_codex, s_anthropic], options);

        Assert.True(router.TryResolve("gpt-5.2-codex", out ModelRoute? first));
        Assert.Equal("anthropic", first.Backend.Name);
        Assert.True(router.TryResolve("gpt-4o", out ModelRoute? second));
        Assert.Equal("codex", second.Backend.Name);
    }

    [Fact]
    public void TryResolve_PatternForUnregisteredBackend_IsSkipped()
    {
        var router = new ModelRouter([s_codex], new RoutingOptions { Default = null });

        Assert.False(router.TryResolve("claude-sonnet-4-5", out _));
    }

    private sealed class StubBackend(string name) : IChatBackend
    {
        public string Name => name;

        public async IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield break;
        }

        public Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ModelInfo>>([]);
    }
}
