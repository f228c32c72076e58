using System.Net.Http.Json;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Cli.Tests;

/// <summary>
/// The original godex's README config, pasted as it is into <c>~/.config/godex/config.yaml</c> (of a temporary HOME),
/// routes as it did there: <c>sonnet</c> to its alias, a model no pattern matches to Codex; in <c>proxy</c> and in
/// <c>exec</c>, both through the real binary on the built-in simulator (that HOME has no logins).
/// </summary>
public sealed class OriginalConfigTests : IDisposable
{
    private readonly string _home = GodexProcess.NewHome(OriginalGodex.ReadmeConfig);

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task Proxy_RoutesSonnetToItsAlias_AndAnUnmatchedModelToCodex()
    {
        (GodexProcess godex, Uri url) = await GodexProcess.StartProxyAsync(_home);
        await using GodexProcess running = godex;
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        CancellationToken ct = TestContext.Current.CancellationToken;

        JsonElement sonnet = await http.GetFromJsonAsync<JsonElement>("/v1/models/sonnet", ct);
        JsonElement unmatched = await http.GetFromJsonAsync<JsonElement>("/v1/models/my-own-model", ct);

        Assert.Equal("claude-sonnet-4-5-20250929", sonnet.GetProperty("id").GetString());
        Assert.Equal("anthropic", sonnet.GetProperty("backend").GetString());
        Assert.Equal("codex", unmatched.GetProperty("backend").GetString());
        Assert.DoesNotContain("config:", godex.Output, StringComparison.Ordinal); // no unknown-key warning

        using HttpResponseMessage answer = await http.PostAsync(
            "/v1/chat/completions",
            new StringContent("""{"model":"my-own-model","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
            ct);
        string body = await answer.Content.ReadAsStringAsync(ct);
        Assert.True(answer.IsSuccessStatusCode, body);
        Assert.Equal("my-own-model", JsonDocument.Parse(body).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("sonnet", "\"model\":\"claude-sonnet-4-5-20250929\"", "\"max_tokens\"")]
    [InlineData("my-own-model", "\"model\":\"my-own-model\"", "\"input\"")]
    public async Task Exec_RoutesLikeTheProxy(string model, string sentModel, string wireField)
    {
        string log = Path.Combine(_home, "requests.jsonl");

        (int exitCode, string output, string error) = await GodexProcess.RunAsync(_home, ["exec", "--model", model, "--prompt", "hi", "--log-requests", log]);

        Assert.True(exitCode == 0, output + error);
        string sent = await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken);
        Assert.Contains(sentModel, sent, StringComparison.Ordinal);
        Assert.Contains(wireField, sent, StringComparison.Ordinal); // Anthropic's Messages body, or the Codex Responses body
        Assert.DoesNotContain("warning:", error, StringComparison.Ordinal);
    }
}
