using System.Net;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Server.Tests.Chat;
using Godex.TestUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Models;

public sealed class ModelsEndpointsTests
{
    private static (FakeChatBackend Codex, FakeChatBackend Anthropic) Backends()
    {
        var codex = new FakeChatBackend("codex")
        {
            ListModels = _ => Task.FromResult<IReadOnlyList<ModelInfo>>([new ModelInfo("gpt-5.2-codex", "codex") { Created = 1700000000 }, new ModelInfo("gpt-5.3-codex", "codex")]),
        };
        var anthropic = new FakeChatBackend("anthropic")
        {
            ListModels = _ => Task.FromResult<IReadOnlyList<ModelInfo>>([new ModelInfo("claude-sonnet-4-5", "anthropic")]),
        };
        return (codex, anthropic);
    }

    private static async Task<JsonElement> GetJsonAsync(KestrelTestHost host, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        HttpResponseMessage response = await host.Client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(expected, response.StatusCode);
        return ChatTestServer.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task List_AggregatesBackendsAndRoutableAliases()
    {
        (FakeChatBackend codex, FakeChatBackend anthropic) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex, anthropic]);

        JsonElement root = await GetJsonAsync(host, "v1/models");

        Assert.Equal("list", root.GetProperty("object").GetString());
        JsonElement[] data = [.. root.GetProperty("data").EnumerateArray()];
        JsonElement gpt = data.Single(m => m.GetProperty("id").GetString() == "gpt-5.2-codex");
        Assert.Equal("model", gpt.GetProperty("object").GetString());
        Assert.Equal("codex", gpt.GetProperty("owned_by").GetString());
        Assert.Equal(1700000000, gpt.GetProperty("created").GetInt64());
        Assert.Equal("anthropic", data.Single(m => m.GetProperty("id").GetString() == "claude-sonnet-4-5").GetProperty("owned_by").GetString());
        JsonElement sonnet = data.Single(m => m.GetProperty("id").GetString() == "sonnet");
        Assert.Equal("anthropic", sonnet.GetProperty("owned_by").GetString());
        Assert.Equal("claude-sonnet-4-5", sonnet.GetProperty("alias_for").GetString());
    }

    [Fact]
    public async Task List_FailingBackendSkipped_AliasesOfMissingBackendsLeftOut()
    {
        (FakeChatBackend codex, _) = Backends();
        var broken = new FakeChatBackend("anthropic") { ListModels = _ => throw new HttpRequestException("down") };
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex, broken]);

        JsonElement root = await GetJsonAsync(host, "v1/models");

        string[] ids = [.. root.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Contains("gpt-5.2-codex", ids);
        Assert.DoesNotContain("claude-sonnet-4-5", ids);
    }

    [Fact]
    public async Task List_CachedForTtl_RefreshedAfter()
    {
        (FakeChatBackend codex, _) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex], o => o.Proxy.ModelsCacheTtl = TimeSpan.FromMinutes(5));
        FakeTimeProvider time = host.Services.GetRequiredService<FakeTimeProvider>();

        await GetJsonAsync(host, "v1/models");
        await GetJsonAsync(host, "v1/models");
        Assert.Equal(1, codex.ListModelsCalls);

        time.Advance(TimeSpan.FromMinutes(6));
        await GetJsonAsync(host, "v1/models");
        Assert.Equal(2, codex.ListModelsCalls);
    }

    [Fact]
    public async Task Get_Alias_ExpandedWithBackendAndAlias()
    {
        (FakeChatBackend codex, FakeChatBackend anthropic) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex, anthropic]);

        JsonElement model = await GetJsonAsync(host, "v1/models/sonnet");

        Assert.Equal("claude-sonnet-4-5", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("anthropic", model.GetProperty("owned_by").GetString());
        Assert.Equal("anthropic", model.GetProperty("backend").GetString());
        Assert.Equal("sonnet", model.GetProperty("alias").GetString());
    }

    [Fact]
    public async Task Get_DirectId_NoAliasField()
    {
        (FakeChatBackend codex, _) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex]);

        JsonElement model = await GetJsonAsync(host, "v1/models/gpt-5.2-codex");

        Assert.Equal("codex", model.GetProperty("backend").GetString());
        Assert.False(model.TryGetProperty("alias", out _));
    }

    [Fact]
    public async Task Get_Unmatched_RoutesToTheDefaultBackend()
    {
        (FakeChatBackend codex, _) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex]);

        JsonElement model = await GetJsonAsync(host, "v1/models/llama-3");

        Assert.Equal("llama-3", model.GetProperty("id").GetString());
        Assert.Equal("codex", model.GetProperty("backend").GetString());
    }

    [Fact]
    public async Task Get_UnknownWithDefaultConfiguredEmpty_404OpenAIError()
    {
        (FakeChatBackend codex, _) = Backends();
        await using KestrelTestHost host = await ChatTestServer.StartAsync([codex], o => o.Routing.Default = null);

        JsonElement root = await GetJsonAsync(host, "v1/models/llama-3", HttpStatusCode.NotFound);

        JsonElement error = root.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("llama-3", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
