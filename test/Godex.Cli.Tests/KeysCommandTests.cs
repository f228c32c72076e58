using System.Text.Json;

namespace Godex.Cli.Tests;

public sealed class KeysCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-keys-cli-" + Guid.NewGuid().ToString("N"));

    private string Db => Path.Combine(_dir, "godex.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        CliRunner.RunAsync(["proxy", .. args, "--database", Db]);

    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement;

    [Fact]
    public async Task Update_FlagsAfterTheId_ChangeOnlyWhatIsGiven()
    {
        (_, string added, _) = await RunAsync("keys", "add", "--label", "agent-a", "--rate", "30/m", "--burst", "7", "--quota-tokens", "5000", "--json");
        string id = Json(added).GetProperty("key_id").GetString()!;

        // The original's documented form, flags after the id, applied none of them and reset rate/burst (§10 item 7).
        (int exitCode, _, _) = await RunAsync("keys", "update", id, "--label", "agent-b");
        Assert.Equal(0, exitCode);
        (_, string shown, _) = await RunAsync("keys", "show", id, "--json");
        JsonElement key = Json(shown);
        Assert.Equal("agent-b", key.GetProperty("label").GetString());
        Assert.Equal("30/m", key.GetProperty("rate").GetString());
        Assert.Equal(7, key.GetProperty("burst").GetInt32());
        Assert.Equal(5000, key.GetProperty("quota_tokens").GetInt64());

        await RunAsync("keys", "update", "--rate", "5/s", id);
        key = Json((await RunAsync("keys", "show", id, "--json")).Output);
        Assert.Equal("5/s", key.GetProperty("rate").GetString());
        Assert.Equal("agent-b", key.GetProperty("label").GetString());
        Assert.Equal(7, key.GetProperty("burst").GetInt32());
    }

    [Fact]
    public async Task Add_ModelsAlias_IsStoredExpanded()
    {
        (int exitCode, string added, _) = await RunAsync("keys", "add", "--label", "m", "--models", "sonnet", "gpt-*", "--json");

        Assert.Equal(0, exitCode);
        Assert.Equal(["claude-sonnet-4-5", "gpt-*"], Json(added).GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    [Theory]
    [InlineData("abc", "at least 16 characters")]
    [InlineData("", "at least 16 characters")]
    [InlineData("sixteen chars with spaces", "without spaces")]
    public async Task Add_BadOwnSecret_ExitsTwoNamingKey(string secret, string problem)
    {
        (int exitCode, _, string error) = await RunAsync("keys", "add", "--label", "b", "--key", secret);

        Assert.Equal(2, exitCode);
        Assert.Contains("--key: ", error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_BadRateOrNothing_ExitsTwo()
    {
        (_, string added, _) = await RunAsync("keys", "add", "--label", "x", "--json");
        string id = Json(added).GetProperty("key_id").GetString()!;

        Assert.Equal(2, (await RunAsync("keys", "update", id, "--rate", "lots")).ExitCode);
        Assert.Equal(2, (await RunAsync("keys", "update", id)).ExitCode);
        Assert.Equal(1, (await RunAsync("keys", "update", "key_000000000000", "--label", "y")).ExitCode);
    }

    [Fact]
    public async Task Add_PrintsSecretOnce_ListNeverShowsIt_RevokeAndRotateByKey()
    {
        (int exitCode, string output, _) = await RunAsync("keys", "add", "--label", "bot", "--models", "gpt-*", "claude-*");
        Assert.Equal(0, exitCode);
        string secret = output.Trim().Split(' ').Single(p => p.StartsWith("key=", StringComparison.Ordinal))["key=".Length..];
        Assert.StartsWith("gxk_", secret, StringComparison.Ordinal);
        Assert.Equal(47, secret.Length); // gxk_ + 43 base64url characters for 32 bytes

        (_, string list, _) = await RunAsync("keys", "list");
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
        Assert.Contains("gpt-*,claude-*", list, StringComparison.Ordinal);

        (_, string rotated, _) = await RunAsync("keys", "rotate", secret, "--json");
        string newSecret = Json(rotated).GetProperty("api_key").GetString()!;
        Assert.NotEqual(secret, newSecret);
        Assert.Equal(1, (await RunAsync("keys", "revoke", secret)).ExitCode); // the old secret no longer names the key
        Assert.Equal(0, (await RunAsync("keys", "revoke", newSecret)).ExitCode);
        Assert.Equal("revoked", Json((await RunAsync("keys", "list", "--json")).Output)[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Import_OriginalFormat_CarriesHashesAndLimits()
    {
        Directory.CreateDirectory(_dir);
        string file = Path.Combine(_dir, "proxy-keys.json");
        // sha256("gxk_legacy-secret-for-import-tests")
        string hash = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("gxk_legacy-secret-for-import-tests"u8));
        await File.WriteAllTextAsync(file, $$"""
            {
              "version": 1,
              "keys": [
                {"id":"key_0123456789ab","label":"agent-a","hash":"{{hash}}","created_at":"2026-02-10T10:00:00Z","rate":"60/m","burst":10,"quota_tokens":100000,"token_balance":0,"token_allowance":0,"allowance_duration_sec":0},
                {"id":"key_ba9876543210","label":"old","hash":"sha256:{{new string('a', 64)}}","created_at":"2026-02-01T10:00:00Z","revoked_at":"2026-02-02T10:00:00Z","rate":"10/s","burst":3,"quota_tokens":0}
              ]
            }
            """, TestContext.Current.CancellationToken);

        (int exitCode, string output, _) = await RunAsync("keys", "import", file);
        Assert.Equal(0, exitCode);
        Assert.Contains("imported 2", output, StringComparison.Ordinal);
        Assert.Contains("imported 0", (await RunAsync("keys", "import", file)).Output, StringComparison.Ordinal);

        JsonElement keys = Json((await RunAsync("keys", "list", "--json")).Output);
        JsonElement first = keys.EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == "key_0123456789ab");
        Assert.Equal("agent-a", first.GetProperty("label").GetString());
        Assert.Equal(100000, first.GetProperty("quota_tokens").GetInt64());
        Assert.Equal("revoked", keys.EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == "key_ba9876543210").GetProperty("status").GetString());

        // The old secret still names the key.
        Assert.Equal(0, (await RunAsync("keys", "show", "gxk_legacy-secret-for-import-tests")).ExitCode);
    }

    [Fact]
    public async Task Usage_ResetTouchesOnlyThatKey()
    {
        (_, string a, _) = await RunAsync("keys", "add", "--label", "a", "--json");
        (_, string b, _) = await RunAsync("keys", "add", "--label", "b", "--json");
        string idA = Json(a).GetProperty("key_id").GetString()!;
        string idB = Json(b).GetProperty("key_id").GetString()!;
        var db = Godex.Core.Storage.GodexDatabase.Open(Db, TimeProvider.System);
        using var ledger = new Godex.Core.Metering.SqliteUsageLedger(db);
        DateTimeOffset earlier = TimeProvider.System.GetUtcNow().AddMinutes(-1);
        await ledger.AppendAsync(
            [
                new(earlier, idA, "gpt-5.2-codex", "codex", null, 10, 5, 0, 0, TimeSpan.FromMilliseconds(5), 200, "r1", "/v1/chat/completions"),
                new(earlier, idB, "gpt-5.2-codex", "codex", null, 20, 7, 0, 0, TimeSpan.FromMilliseconds(5), 200, "r2", "/v1/chat/completions"),
            ],
            TestContext.Current.CancellationToken);

        Assert.Equal(0, (await RunAsync("usage", "reset", idA)).ExitCode);

        JsonElement totals = Json((await RunAsync("usage", "list", "--json")).Output);
        JsonElement only = Assert.Single(totals.EnumerateArray());
        Assert.Equal(idB, only.GetProperty("key_id").GetString());
        Assert.Equal(27, only.GetProperty("total_tokens").GetInt64());
        Assert.Contains("no usage", (await RunAsync("usage", "show", idA)).Output, StringComparison.Ordinal);
    }
}
