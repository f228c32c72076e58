using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Limits;
using Godex.Core.Storage;

namespace Godex.Cli.Tests;

/// <summary><c>godex accounts</c> on a temp config and database: the config's accounts, added ones, and the state a proxy saved.</summary>
public sealed class AccountsCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-accounts-cli-" + Guid.NewGuid().ToString("N"));

    public AccountsCommandTests()
    {
        Directory.CreateDirectory(_dir);
        CredentialFile.WriteAtomic(Path.Combine(_dir, "a.json"), new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = "sk-secret-a" });
        CredentialFile.WriteAtomic(Path.Combine(_dir, "b.json"), new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = "sk-secret-b" });
        File.WriteAllText(Config, $"""
            proxy:
              database: {Db}
              backends:
                anthropic:
                  enabled: false
                codex:
                  accounts:
                    - name: work
                      auth_path: {Path.Combine(_dir, "a.json")}
                    - name: home
                      auth_path: {Path.Combine(_dir, "b.json")}
            """);
    }

    private string Db => Path.Combine(_dir, "godex.db");

    private string Config => Path.Combine(_dir, "config.yaml");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Status_Json_ShowsEachAccountWithItsUsageAndCooldown_NeverAKey()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset reset = now.AddHours(2);
        var database = GodexDatabase.Open(Db, TimeProvider.System);
        await new SqliteAccountStateStore(database).SaveAsync(
            [new AccountState("codex", "work", "The usage limit has been reached", new UsageWindow(100, 300, reset), new UsageWindow(41.5, 10080, now.AddDays(3)), now)],
            TestContext.Current.CancellationToken);
        await new SqliteAccountCooldownStore(database, TimeProvider.System).SetAsync(new AccountCooldown("codex:work", reset, "usage_limit_reached"), TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("--config", Config, "accounts", "status", "--json");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("sk-secret", output, StringComparison.Ordinal);
        JsonElement[] rows = [.. JsonDocument.Parse(output).RootElement.EnumerateArray()];
        Assert.Equal(["work", "home"], rows.Select(r => r.GetProperty("name").GetString()));
        JsonElement work = rows[0];
        Assert.Equal("cooling_down", work.GetProperty("state").GetString());
        Assert.Equal("usage_limit_reached", work.GetProperty("cooldown_reason").GetString());
        Assert.Equal(100, work.GetProperty("primary").GetProperty("used_percent").GetDouble());
        Assert.Equal(10080, work.GetProperty("secondary").GetProperty("window_minutes").GetInt32());
        Assert.Equal("The usage limit has been reached", work.GetProperty("last_error").GetString());
        Assert.Equal("ready", rows[1].GetProperty("state").GetString());
        Assert.Equal("config", rows[1].GetProperty("source").GetString());
    }

    [Fact]
    public async Task Add_ThenList_ShowsTheAddedAccount_RemoveTakesItAway()
    {
        string login = Path.Combine(_dir, "c.json");
        CredentialFile.WriteAtomic(login, new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = "sk-secret-c" });

        (int exit, _, string error) = await CliRunner.RunAsync("--config", Config, "accounts", "add", "codex", "--name", "spare", "--login", login);
        Assert.True(exit == 0, error);
        (_, string listed, _) = await CliRunner.RunAsync("--config", Config, "accounts", "list", "--json");
        JsonElement spare = JsonDocument.Parse(listed).RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "spare");
        Assert.Equal("added", spare.GetProperty("source").GetString());
        Assert.True(spare.GetProperty("configured").GetBoolean());

        Assert.Equal(0, (await CliRunner.RunAsync("--config", Config, "accounts", "remove", "codex", "--name", "spare")).ExitCode);
        Assert.Equal(1, (await CliRunner.RunAsync("--config", Config, "accounts", "remove", "codex", "--name", "spare")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("--config", Config, "accounts", "add", "gemini", "--name", "x", "--login", login)).ExitCode);
    }
}
