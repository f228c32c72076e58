using System.Text;
using Godex.Cli.Commands;
using Godex.Core.Configuration;

namespace Godex.Cli.Tests;

public sealed class AuthCommandTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-auth-" + Guid.NewGuid().ToString("N")[..12]);

    public AuthCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Jwt(string payload) =>
        "eyJhbGciOiJub25lIn0." + Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".sig";

    private GodexOptions Options(string? codex, string? claude)
    {
        var options = new GodexOptions();
        options.Proxy.Backends.Codex.AuthPath = Path.Combine(_dir, "auth.json");
        options.Proxy.Backends.Anthropic.CredentialsPath = Path.Combine(_dir, ".credentials.json");
        options.Proxy.Backends.Anthropic.ApiKeyEnv = "GODEX_TEST_NO_SUCH_VARIABLE";
        if (codex is not null)
        {
            File.WriteAllText(options.Proxy.Backends.Codex.AuthPath, codex);
        }

        if (claude is not null)
        {
            File.WriteAllText(options.Proxy.Backends.Anthropic.CredentialsPath, claude);
        }

        return options;
    }

    private static async Task<string> StatusAsync(GodexOptions options)
    {
        var output = new StringWriter();
        await AuthCommand.WriteStatusAsync(output, options, s_now);
        return output.ToString();
    }

    [Fact]
    public async Task Valid_ShowsModeExpiryAndPlan_NeverTokens()
    {
        string access = Jwt("""{"exp":1800000000}""");
        string id = Jwt("""{"https://api.openai.com/auth":{"chatgpt_plan_type":"plus","chatgpt_account_id":"acc"}}""");
        GodexOptions options = Options(
            $$$"""{"auth_mode":"chatgpt","tokens":{"access_token":"{{{access}}}","refresh_token":"rt-secret","id_token":"{{{id}}}"}}""",
            """{"claudeAiOauth":{"accessToken":"sk-ant-oat-secret","refreshToken":"sk-ant-ort-secret","expiresAt":1800000000000,"subscriptionType":"max"}}""");

        string status = await StatusAsync(options);

        Assert.Contains("Codex:     configured", status, StringComparison.Ordinal);
        Assert.Contains("Anthropic: configured", status, StringComparison.Ordinal);
        Assert.Contains("Plan:    plus", status, StringComparison.Ordinal);
        Assert.Contains("Plan:    max", status, StringComparison.Ordinal);
        Assert.Contains("Expires: 2027-01-15 08:00 UTC", status, StringComparison.Ordinal);
        Assert.Contains(options.Proxy.Backends.Codex.AuthPath!, status, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", status, StringComparison.Ordinal);
        Assert.DoesNotContain(access, status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_SaysSo()
    {
        string access = Jwt("""{"exp":1700000000}""");
        GodexOptions options = Options(
            $$$"""{"tokens":{"access_token":"{{{access}}}"}}""",
            """{"claudeAiOauth":{"accessToken":"a","expiresAt":1700000000000}}""");

        string status = await StatusAsync(options);

        Assert.Contains("Codex:     expired", status, StringComparison.Ordinal);
        Assert.Contains("Anthropic: expired", status, StringComparison.Ordinal);
        Assert.Contains("log in again", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_SaysHowToLogIn()
    {
        string status = await StatusAsync(Options(null, null));

        Assert.Contains("Codex:     not configured", status, StringComparison.Ordinal);
        Assert.Contains("codex login", status, StringComparison.Ordinal);
        Assert.Contains("Anthropic: not configured", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_IsNotConfiguredWithTheReason()
    {
        string status = await StatusAsync(Options("{not json", "[1,2"));

        Assert.Contains("Codex:     not configured", status, StringComparison.Ordinal);
        Assert.Contains("cannot read the login file", status, StringComparison.Ordinal);
        Assert.Contains("Anthropic: not configured", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyLogin_IsConfigured()
    {
        string status = await StatusAsync(Options("""{"auth_mode":"api_key","OPENAI_API_KEY":"sk-secret"}""", null));

        Assert.Contains("Codex:     configured", status, StringComparison.Ordinal);
        Assert.Contains("Mode:    API key", status, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_HonoursTheConfigPaths()
    {
        string config = Path.Combine(_dir, "godex.yaml");
        await File.WriteAllTextAsync(config, $"auth:\n  path: {Path.Combine(_dir, "custom-auth.json")}\n", TestContext.Current.CancellationToken);

        (int exitCode, string output, _) = await CliRunner.RunAsync("auth", "status", "--config", config);

        Assert.Equal(0, exitCode);
        Assert.Contains(Path.Combine(_dir, "custom-auth.json"), output, StringComparison.Ordinal);
    }
}
