using System.Security.Cryptography;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.Payments.L402;
using Godex.Core.State;
using Godex.Core.Storage;
using Godex.TestUtilities;

[assembly: AssemblyFixture(typeof(PostgresServer))]

namespace Godex.Core.Tests.Storage;

/// <summary>
/// The PostgreSQL stores against a real server (scripts/pg-temp.sh, one per test run, a fresh database per test):
/// migrations and startup errors, and each store's contract, with two <see cref="PostgresDatabase"/> objects on one
/// database standing for two godex instances.
/// </summary>
public sealed class PostgresStoreTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UsageRecord Row(string key, long input, long output, int i = 0) =>
        new(DateTimeOffset.UnixEpoch.AddDays(20_000).AddMilliseconds(i), key, "gpt-5", "codex", null, input, output, 0, 0, TimeSpan.FromMilliseconds(5), 200, "req_" + i, "/v1/chat/completions");

    /// <summary>The state as a proxy opens it: with its heartbeat and LISTEN connection.</summary>
    private static async Task<GodexState> StartInstanceAsync(string url)
    {
        GodexState state = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        await state.Postgres!.StartBackgroundAsync(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Ct);
        return state;
    }

    [Fact]
    public async Task Open_MigratesOnce_AndReopens()
    {
        string url = await server.CreateDatabaseAsync();
        await using (GodexState first = await GodexState.OpenAsync(url, TimeProvider.System, Ct))
        {
            Assert.NotNull(first.Postgres);
            Assert.DoesNotContain(":", first.Description["postgres://".Length..].Split('@')[0], StringComparison.Ordinal); // no password
        }

        await using GodexState second = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        Assert.Equal((long)PostgresDatabase.SchemaVersion, await PostgresServer.ScalarAsync(url, "SELECT COUNT(*) FROM schema_migrations;"));
    }

    [Fact]
    public async Task Open_InstancesStartingTogether_MigrateOnce()
    {
        string url = await server.CreateDatabaseAsync();
        GodexState[] states = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => GodexState.OpenAsync(url, TimeProvider.System, Ct)));
        Assert.Single(states.Select(s => Convert.ToHexString(s.Postgres!.KeySecret)).Distinct());
        foreach (GodexState state in states)
        {
            await state.DisposeAsync();
        }
    }

    [Fact]
    public async Task Open_SchemaNewerThanTheBinary_FailsNamingTheDatabase()
    {
        string url = await server.CreateDatabaseAsync();
        await (await GodexState.OpenAsync(url, TimeProvider.System, Ct)).DisposeAsync();
        await PostgresServer.ScalarAsync(url, "INSERT INTO schema_migrations VALUES (99, 0);");

        StorageException ex = await Assert.ThrowsAsync<StorageException>(() => GodexState.OpenAsync(url, TimeProvider.System, Ct));
        Assert.Contains("schema version 99, newer than this godex understands", ex.Message, StringComparison.Ordinal);
        Assert.Contains(PostgresUrl.Redact(url), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_WrongPassword_SaysAuthenticationFailed_WithoutThePassword()
    {
        string url = await server.CreateDatabaseAsync();
        string wrong = url.Replace("godex:", "godex:wrong-secret-", StringComparison.Ordinal);

        StorageException ex = await Assert.ThrowsAsync<StorageException>(() => GodexState.OpenAsync(wrong, TimeProvider.System, Ct));
        Assert.Contains("authentication failed", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("database postgres://godex@127.0.0.1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NothingListening_SaysUnreachable()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        StorageException ex = await Assert.ThrowsAsync<StorageException>(() => GodexState.OpenAsync($"postgres://godex:pw@127.0.0.1:{port}/godex", TimeProvider.System, Ct));
        Assert.Contains($"database postgres://godex@127.0.0.1:{port}/godex is unreachable", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_UnknownDatabase_SaysItDoesNotExist()
    {
        string url = await server.CreateDatabaseAsync();
        string missing = url[..(url.LastIndexOf('/') + 1)] + "no_such_db";
        StorageException ex = await Assert.ThrowsAsync<StorageException>(() => GodexState.OpenAsync(missing, TimeProvider.System, Ct));
        Assert.Contains("no_such_db does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_ChangeOnOneInstance_IsNotifiedToTheOther()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState a = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        await using GodexState b = await StartInstanceAsync(url);
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Postgres!.Changed += channel => notified.TrySetResult(channel);

        IssuedClientKey issued = await a.Keys.CreateAsync(new NewClientKey { Label = "team", Rate = "10/m" }, Ct);
        Assert.Equal(PostgresDatabase.KeysChannel, await notified.Task.WaitAsync(TimeSpan.FromSeconds(1), Ct));

        Assert.Equal(issued.Key.Id, (await b.Keys.FindAsync(issued.Secret, Ct))!.Id);
        Assert.Equal(b.Keys.Hash(issued.Secret), issued.Key.Hash); // one key secret for every instance
        long before = await b.Keys.GetVersionAsync(Ct);
        ClientKey revoked = (await b.Keys.RevokeAsync(issued.Key.Id, Ct))!;
        Assert.NotNull(revoked.RevokedAt);
        Assert.True((await a.Keys.FindAsync(issued.Key.Id, Ct))!.IsRevoked);
        Assert.True(await a.Keys.GetVersionAsync(Ct) > before);
        Assert.Null(await a.Keys.UpdateAsync("key_missing", new ClientKeyUpdate { Label = "x" }, Ct));
        Assert.False(await a.Keys.ImportAsync(issued.Key, Ct));
    }

    [Fact]
    public async Task Usage_AppendsWithCopy_SumsAndDebitsBalances()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState state = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        IssuedClientKey key = await state.Keys.CreateAsync(new NewClientKey { Label = "metered" }, Ct);
        await state.Keys.SetAllowanceAsync(key.Key.Id, 10_000, TimeSpan.FromDays(1), Ct);

        await state.Usage.AppendAsync([.. Enumerable.Range(0, 1000).Select(i => Row(key.Key.Id, 3, 2, i))], Ct);

        UsageTotals totals = Assert.Single(await state.Usage.TotalsAsync(null, key.Key.Id, Ct));
        Assert.Equal(1000, totals.Requests);
        Assert.Equal(5000, totals.TotalTokens);
        Assert.Equal(5000, state.Usage.TokensSince(key.Key.Id, DateTimeOffset.UnixEpoch));
        Assert.Equal(5000, (await state.Keys.FindAsync(key.Key.Id, Ct))!.TokenBalance);
        Assert.Equal(10, (await state.Usage.ListAsync(null, key.Key.Id, 10, Ct)).Count);
    }

    [Fact]
    public async Task Usage_Series_BucketsLikeSqlite()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState state = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        await Metering.UsageSeriesContract.RunAsync(state.Usage, Ct);
    }

    [Fact]
    public async Task Responses_AreSharedAndExpire()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState a = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        await using GodexState b = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        await a.Responses.SaveAsync(new StoredResponse("resp_1", null, "gpt-5", "[1]"u8.ToArray(), now, now.AddHours(1), "key_a"), Ct);
        await a.Responses.SaveAsync(new StoredResponse("resp_old", null, "gpt-5", "[2]"u8.ToArray(), now.AddHours(-2), now.AddHours(-1), "key_a"), Ct);

        StoredResponse got = (await b.Responses.GetAsync("resp_1", "key_a", Ct))!;
        Assert.Equal("[1]"u8.ToArray(), got.Json);
        Assert.Equal("key_a", got.Owner);
        Assert.Null(await b.Responses.GetAsync("resp_old", "key_a", Ct));

        // Another identity: as unknown as an id that never existed (issue 14), on every instance.
        Assert.Null(await b.Responses.GetAsync("resp_1", "key_b", Ct));
        Assert.False(await b.Responses.DeleteAsync("resp_1", "key_b", Ct));
        Assert.NotNull(await a.Responses.GetAsync("resp_1", "key_a", Ct));

        Assert.True(await b.Responses.DeleteAsync("resp_1", "key_a", Ct));
        Assert.Null(await a.Responses.GetAsync("resp_1", "key_a", Ct));
    }

    [Fact]
    public async Task Credits_RedeemedOnce_AcrossInstances_OneRequestInFlight()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState a = await StartInstanceAsync(url);
        await using GodexState b = await StartInstanceAsync(url);
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

        bool[] redeemed = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            (i % 2 == 0 ? a : b).Credits.RedeemAsync(hash, "t", 10_000, TimeProvider.System.GetUtcNow(), Ct).AsTask()));
        Assert.Single(redeemed, r => r);

        L402Start first = await a.Credits.BeginAsync(hash, Ct);
        Assert.Equal(new L402Start(L402StartResult.Started, 10_000), first);
        Assert.Equal(L402StartResult.Busy, (await b.Credits.BeginAsync(hash, Ct)).Result);
        Assert.Equal(1_000, await a.Credits.ChargeAsync(hash, 9_000, Ct));
        Assert.Equal(L402StartResult.Started, (await b.Credits.BeginAsync(hash, Ct)).Result);
        Assert.Equal(-500, await b.Credits.ChargeAsync(hash, 1_500, Ct)); // the request that crosses the credit completes
        Assert.Equal(L402StartResult.UsedUp, (await a.Credits.BeginAsync(hash, Ct)).Result);
        Assert.Equal(-500, await a.Credits.RemainingAsync(hash, Ct));
    }

    [Fact]
    public async Task SharedLimits_TokensAndSlots_HoldAcrossInstances()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState a = await StartInstanceAsync(url);
        await using GodexState b = await StartInstanceAsync(url);

        (int Granted, double Level)[] takes = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            (i % 2 == 0 ? a : b).SharedLimits!.TakeTokensAsync("key_x", 10.0 / 60, 10, 1, Ct).AsTask()));
        Assert.Equal(10, takes.Sum(t => t.Granted));

        Assert.True(await a.SharedLimits!.TryAcquireSlotAsync("key_y", 2, Ct));
        Assert.True(await b.SharedLimits!.TryAcquireSlotAsync("key_y", 2, Ct));
        Assert.False(await a.SharedLimits.TryAcquireSlotAsync("key_y", 2, Ct));
        await b.SharedLimits.ReleaseSlotAsync("key_y", Ct);
        Assert.True(await a.SharedLimits.TryAcquireSlotAsync("key_y", 2, Ct));
    }

    [Fact]
    public async Task Cooldowns_AreSharedAndNotified()
    {
        string url = await server.CreateDatabaseAsync();
        await using GodexState a = await GodexState.OpenAsync(url, TimeProvider.System, Ct);
        await using GodexState b = await StartInstanceAsync(url);
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Postgres!.Changed += channel => notified.TrySetResult(channel);

        await CooldownContract.RunAsync(a.Cooldowns, b.Cooldowns, Ct);
        Assert.Equal(PostgresDatabase.CooldownsChannel, await notified.Task.WaitAsync(TimeSpan.FromSeconds(1), Ct));
    }
}
