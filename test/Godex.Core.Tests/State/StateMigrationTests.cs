using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core.Payments.L402;
using Godex.Core.State;
using Godex.Core.Storage;
using Godex.TestUtilities;

namespace Godex.Core.Tests.State;

/// <summary><c>godex proxy db migrate</c>: a SQLite database's state, copied into PostgreSQL, means the same there.</summary>
public sealed class StateMigrationTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-migrate-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Copy_KeysLedgerResponsesCreditsCooldowns_KeepWorkingOnPostgres()
    {
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        GodexDatabase sqlite = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
        var keys = new SqliteKeyStore(sqlite, TimeProvider.System);
        IssuedClientKey key = await keys.CreateAsync(new NewClientKey { Label = "team", Rate = "60/m", Models = ["gpt-*"] }, Ct);
        await keys.SetAllowanceAsync(key.Key.Id, 5_000, TimeSpan.FromDays(1), Ct);
        using var ledger = new SqliteUsageLedger(sqlite);
        await ledger.AppendAsync(
            [.. Enumerable.Range(0, 25_000).Select(i => new UsageRecord(now.AddMilliseconds(i), key.Key.Id, "gpt-5", "codex", null, 1, 1, 0, 0, TimeSpan.Zero, 200, "r" + i, "/v1/responses"))],
            Ct);
        await new SqliteResponseStore(sqlite, TimeProvider.System).SaveAsync(new StoredResponse("resp_1", null, "gpt-5", "[]"u8.ToArray(), now, now.AddDays(1), key.Key.Id), Ct);
        L402CreditLedger credits = L402CreditLedger.Open(sqlite, Path.Combine(_dir, "redeemed.jsonl"), TimeProvider.System);
        var payment = new L402Identifier(new byte[32], new byte[32]);
        await credits.RedeemAsync(payment, 10_000, Ct);
        await credits.ChargeAsync(payment, 4_000, Ct);
        await new SqliteAccountCooldownStore(sqlite, TimeProvider.System).SetAsync(new AccountCooldown("codex:a", now.AddHours(1), "429"), Ct);

        string url = await server.CreateDatabaseAsync();
        await using PostgresDatabase target = await PostgresDatabase.OpenAsync(url, Ct);
        StateMigration.Counts copied = await StateMigration.CopyAsync(sqlite, target, Ct);
        Assert.Equal(new StateMigration.Counts(1, 25_000, 1, 1, 1), copied);

        await using GodexState state = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        ClientKey found = (await state.Keys.FindAsync(key.Secret, Ct))!; // the old secret still authenticates
        Assert.Equal(key.Key.Id, found.Id);
        Assert.Equal(["gpt-*"], found.Models);
        Assert.Equal(-45_000, found.TokenBalance); // 5,000 minus the 50,000 tokens the rows debited in SQLite; not debited twice
        Assert.Equal(25_000, Assert.Single(await state.Usage.TotalsAsync(null, key.Key.Id, Ct)).Requests);
        Assert.NotNull(await state.Responses.GetAsync("resp_1", key.Key.Id, Ct)); // still its owner's only
        Assert.Null(await state.Responses.GetAsync("resp_1", "anonymous", Ct));
        Assert.Equal(6_000, await state.Credits.RemainingAsync(Convert.ToHexStringLower(payment.PaymentHash), Ct));
        Assert.Equal("codex:a", Assert.Single(await state.Cooldowns.ListActiveAsync(Ct)).AccountKey);

        StorageException again = await Assert.ThrowsAsync<StorageException>(() => StateMigration.CopyAsync(sqlite, target, Ct));
        Assert.Contains("already holds state", again.Message, StringComparison.Ordinal);
    }
}
