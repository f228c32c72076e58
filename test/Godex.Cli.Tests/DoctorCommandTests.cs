using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Godex.Simulator;

namespace Godex.Cli.Tests;

/// <summary><c>godex doctor</c> on temporary logins, ports and databases (never the user's), upstreams on loopback.</summary>
public sealed class DoctorCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-doctor-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Jwt(DateTimeOffset issued, DateTimeOffset expires)
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("""{"alg":"none"}""") + "." + Part($$"""{"iat":{{issued.ToUnixTimeSeconds()}},"exp":{{expires.ToUnixTimeSeconds()}}}""") + ".sig";
    }

    /// <summary>A config with a Codex ChatGPT login (access token issued/expiring as given), an Anthropic API key, a free port and a fresh database path.</summary>
    private string Config(DateTimeOffset issued, DateTimeOffset expires, bool refreshToken, string? codexUrl = null, string? anthropicUrl = null)
    {
        string auth = Path.Combine(_dir, "auth.json");
        string refresh = refreshToken ? ",\"refresh_token\":\"r\"" : "";
        File.WriteAllText(auth, "{\"auth_mode\":\"chatgpt\",\"tokens\":{\"access_token\":\"" + Jwt(issued, expires) + "\"" + refresh + "}}");
        string path = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(path, $"""
            proxy:
              listen: 127.0.0.1:{FreePort()}
              database: {Path.Combine(_dir, "godex.db")}
              backends:
                codex:
                  auth_path: {auth}
                  base_url: {codexUrl ?? "http://127.0.0.1:9/backend-api/codex"}
                anthropic:
                  api_key: test-anthropic-key
                  base_url: {anthropicUrl ?? "http://127.0.0.1:9"}
            """);
        return path;
    }

    private static async Task<(int ExitCode, Dictionary<string, (string Status, string Detail)> Checks)> DoctorAsync(params string[] args)
    {
        (int exitCode, string output, string error) = await CliRunner.RunAsync(["doctor", "--json", .. args]);
        JsonElement root = JsonDocument.Parse(output).RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean() == (exitCode == 0), output + error);
        return (exitCode, root.GetProperty("checks").EnumerateArray().ToDictionary(
            c => c.GetProperty("name").GetString()!,
            c => (c.GetProperty("status").GetString()!, c.GetProperty("detail").GetString()!)));
    }

    [Fact]
    public async Task HealthySetup_Offline_PassesEveryCheck()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;

        (int exitCode, var checks) = await DoctorAsync("--offline", "--config", Config(now.AddMinutes(-5), now.AddHours(1), refreshToken: true));

        Assert.Equal(0, exitCode);
        Assert.Equal("ok", checks["config"].Status);
        Assert.Equal("ok", checks["codex login"].Status);
        Assert.Contains("refresh token present", checks["codex login"].Detail, StringComparison.Ordinal);
        Assert.Equal("ok", checks["anthropic login"].Status);
        Assert.Equal("ok", checks["listen"].Status);
        Assert.Equal("ok", checks["database"].Status);
        Assert.Equal("skip", checks["upstreams"].Status);
        Assert.False(File.Exists(Path.Combine(_dir, "godex.db")), "the doctor creates nothing");
    }

    [Fact]
    public async Task CustomBackendKeys_AMissingOne_WarnsByAccountAndVariable_NeverAValue()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string config = Config(now.AddMinutes(-5), now.AddHours(1), refreshToken: true);
        string unset = "GODEX_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        File.AppendAllText(config, "\n" + $"""
                custom:
                  groq:
                    base_url: http://127.0.0.1:9/v1
                    accounts:
                      - {"{"}name: team-a, api_key: sk-doctor-value{"}"}
                      - {"{"}name: team-b, key_env: {unset}{"}"}

            """);

        (int exitCode, var checks) = await DoctorAsync("--offline", "--config", config);

        Assert.Equal(0, exitCode);
        Assert.Equal("warn", checks["groq keys"].Status);
        Assert.Equal($"1 of 2 present; missing: team-b (${unset} is not set)", checks["groq keys"].Detail);
        Assert.DoesNotContain("sk-doctor-value", string.Join(' ', checks.Values.Select(c => c.Detail)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredLoginWithoutRefreshToken_Fails()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;

        (int exitCode, var checks) = await DoctorAsync("--offline", "--config", Config(now.AddHours(-2), now.AddHours(-1), refreshToken: false));

        Assert.Equal(1, exitCode);
        Assert.Equal("fail", checks["codex login"].Status);
        Assert.Contains("no refresh token", checks["codex login"].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenIssuedInTheFuture_IsAClockProblem()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;

        (int exitCode, var checks) = await DoctorAsync("--offline", "--config", Config(now.AddHours(1), now.AddHours(2), refreshToken: true));

        Assert.Equal(1, exitCode);
        Assert.Equal("fail", checks["clock"].Status);
        Assert.Contains("clock is behind", checks["clock"].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BusyPort_And_BrokenDatabase_Fail()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string config = Config(now.AddMinutes(-5), now.AddHours(1), refreshToken: true);
        await File.WriteAllTextAsync(Path.Combine(_dir, "godex.db"), "this is not a database", TestContext.Current.CancellationToken);
        int port = int.Parse(File.ReadAllText(config).Split("127.0.0.1:")[1].Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
        using var busy = new TcpListener(IPAddress.Loopback, port);
        busy.Start();

        (int exitCode, var checks) = await DoctorAsync("--offline", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Equal("fail", checks["listen"].Status);
        Assert.Contains("in use by another program", checks["listen"].Detail, StringComparison.Ordinal);
        Assert.Equal("fail", checks["database"].Status);
    }

    [Fact]
    public async Task Online_ReachableUpstreamPasses_AnUnreachableOneFails()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await using SimulatorHost simulator = await SimulatorHost.StartAsync(new SimulatorOptions(), TestContext.Current.CancellationToken);
        string reachable = simulator.BaseUrl.ToString().TrimEnd('/');

        (int exitCode, var checks) = await DoctorAsync("--config", Config(now.AddMinutes(-5), now.AddHours(1), refreshToken: true, codexUrl: reachable + "/backend-api/codex", anthropicUrl: $"http://127.0.0.1:{FreePort()}"));

        Assert.Equal(1, exitCode);
        Assert.Equal("ok", checks["codex upstream"].Status);
        Assert.Equal("fail", checks["anthropic upstream"].Status);
        Assert.Contains("unreachable", checks["anthropic upstream"].Detail, StringComparison.Ordinal);
        Assert.Equal("ok", checks["clock"].Status);
    }

    [Fact]
    public async Task TextOutput_OneLinePerCheck_AndASummary()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;

        (int exitCode, string output, _) = await CliRunner.RunAsync("doctor", "--offline", "--config", Config(now.AddMinutes(-5), now.AddHours(1), refreshToken: true));

        Assert.Equal(0, exitCode);
        Assert.Contains("ok    codex login", output, StringComparison.Ordinal);
        Assert.EndsWith("no problems found", output.Trim(), StringComparison.Ordinal);
    }
}
