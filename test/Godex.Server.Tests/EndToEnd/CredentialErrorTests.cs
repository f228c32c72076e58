using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// A login that cannot be used or refreshed answers the client 401 without the server's file paths (issue 14,
/// security item 4); the path is for the operator's log.
/// </summary>
public sealed class CredentialErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-cred-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Jwt(long exp) =>
        string.Join('.', B64("""{"alg":"none"}"""), B64($$"""{"exp":{{exp}}}"""), "sig");

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Theory]
    [InlineData("gpt-5.2-codex", "/v1/chat/completions")]
    [InlineData("gpt-5.2-codex", "/v1/responses")]
    [InlineData("claude-sonnet-4-5", "/v1/messages")]
    [InlineData("claude-sonnet-4-5", "/v1/chat/completions")]
    public async Task FailedRefresh_ClientSeesNoServerPath(string model, string path)
    {
        // Expired tokens whose refresh goes to a port nothing listens on.
        string codexAuth = Path.Combine(_dir, "auth.json");
        await File.WriteAllTextAsync(codexAuth, new JsonObject
        {
            ["auth_mode"] = "chatgpt",
            ["tokens"] = new JsonObject { ["access_token"] = Jwt(1), ["refresh_token"] = "rt", ["account_id"] = "acct" },
        }.ToJsonString(), TestContext.Current.CancellationToken);
        string claudeAuth = Path.Combine(_dir, ".credentials.json");
        await File.WriteAllTextAsync(claudeAuth, """{"claudeAiOauth":{"accessToken":"at","refreshToken":"rt","expiresAt":1000}}""", TestContext.Current.CancellationToken);

        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "off";
            o.Proxy.Backends.Codex.AuthPath = codexAuth;
            o.Proxy.Backends.Codex.RefreshUrl = "http://127.0.0.1:9/oauth/token";
            o.Proxy.Backends.Codex.BaseUrl = "http://127.0.0.1:9/backend-api/codex";
            o.Proxy.Backends.Anthropic.CredentialsPath = claudeAuth;
            o.Proxy.Backends.Anthropic.ApiKeyEnv = "GODEX_TEST_UNSET_ANTHROPIC_API_KEY";
            o.Proxy.Backends.Anthropic.RefreshUrl = "http://127.0.0.1:9/v1/oauth/token";
            o.Proxy.Backends.Anthropic.BaseUrl = "http://127.0.0.1:9";
        });
        string body = $$"""{"model":"{{model}}","max_tokens":16,"input":"hi","messages":[{"role":"user","content":"hi"}]}""";

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync(path, content, TestContext.Current.CancellationToken);
        string answer = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        // The operator's login failed, not the client's key: a 503 with godex's code, and the path stays in the log.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("login", answer, StringComparison.Ordinal); // OpenAI clients get the code upstream_login_*, Anthropic ones the message
        Assert.DoesNotContain(_dir, answer, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), answer, StringComparison.Ordinal);
    }
}
