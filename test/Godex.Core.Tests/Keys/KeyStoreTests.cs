using Godex.Core.Keys;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Keys;

public sealed class KeyStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-keys-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private SqliteKeyStore Store() => new(GodexDatabase.Open(Path.Combine(_dir, "godex.db"), _time), _time);

    [Fact]
    public async Task Secret_IsStoredAsKeyedHash_AndTheHashIsNotACredential()
    {
        SqliteKeyStore store = Store();
        IssuedClientKey issued = await store.CreateAsync(new NewClientKey { Label = "a" }, TestContext.Current.CancellationToken);
        await using var cache = new KeyCache(store, _time);
        await cache.ReloadAsync(TestContext.Current.CancellationToken);

        Assert.StartsWith(KeySecrets.HmacPrefix, issued.Key.Hash, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.Secret, issued.Key.Hash, StringComparison.Ordinal);
        Assert.Equal(KeyStatus.Valid, cache.Authenticate(issued.Secret, out _));
        Assert.Equal(KeyStatus.Unknown, cache.Authenticate(issued.Key.Hash, out _));
        Assert.Equal(KeyStatus.Unknown, cache.Authenticate(KeySecrets.LegacyHash(issued.Secret), out _));
        using SqliteConnection connection = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), _time).OpenConnection();
        Assert.Equal(0L, GodexDatabase.Scalar(connection, $"SELECT COUNT(*) FROM keys WHERE hash LIKE '%{issued.Secret}%' OR label LIKE '%{issued.Secret}%';"));
    }

    [Fact]
    public async Task ImportedLegacyHash_AuthenticatesWithItsOldSecret_NotWithItself()
    {
        SqliteKeyStore store = Store();
        string legacy = KeySecrets.LegacyHash("gxk_old-secret");
        Assert.True(await store.ImportAsync(new ClientKey { Id = "key_aaaaaaaaaaaa", Label = "old", Hash = legacy }, TestContext.Current.CancellationToken));
        await using var cache = new KeyCache(store, _time);
        await cache.ReloadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(KeyStatus.Valid, cache.Authenticate("gxk_old-secret", out ClientKey? key));
        Assert.Equal("key_aaaaaaaaaaaa", key!.Id);
        Assert.Equal(KeyStatus.Unknown, cache.Authenticate(legacy, out _)); // the original's sha256: pass-through (§10 item 9)
    }

    [Fact]
    public async Task Update_ChangesOnlyGivenFields_RotateKeepsIdAndLimits_VersionBumps()
    {
        SqliteKeyStore store = Store();
        IssuedClientKey issued = await store.CreateAsync(new NewClientKey { Label = "a", Rate = "30/m", Burst = 4, QuotaTokens = 10, Models = ["gpt-*"] }, TestContext.Current.CancellationToken);
        long version = await store.GetVersionAsync(TestContext.Current.CancellationToken);

        ClientKey updated = (await store.UpdateAsync(issued.Key.Id, new ClientKeyUpdate { Burst = 9 }, TestContext.Current.CancellationToken))!;
        IssuedClientKey rotated = (await store.RotateAsync(issued.Secret, TestContext.Current.CancellationToken))!;

        Assert.Equal(("a", "30/m", 9, 10L), (updated.Label, updated.Rate, updated.Burst!.Value, updated.QuotaTokens));
        Assert.Equal(["gpt-*"], updated.Models);
        Assert.Equal(issued.Key.Id, rotated.Key.Id);
        Assert.Equal(9, rotated.Key.Burst);
        Assert.NotEqual(issued.Secret, rotated.Secret);
        Assert.Null(await store.FindAsync(issued.Secret, TestContext.Current.CancellationToken));
        Assert.Equal(version + 2, await store.GetVersionAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>With no key stored, a presented secret is unknown without being hashed; once a key exists it is hashed.</summary>
    [Fact]
    public async Task EmptyStore_AnswersUnknownWithoutHashing_AKeyedStoreHashesEverySecret()
    {
        var store = new HashCountingStore(Store());
        await using var cache = new KeyCache(store, _time);
        await cache.ReloadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(KeyStatus.Unknown, cache.Authenticate("sk-ant-whatever-the-client-sends", out ClientKey? none));
        Assert.Null(none);
        Assert.Equal(0, store.Hashes);

        IssuedClientKey issued = await store.CreateAsync(new NewClientKey { Label = "a" }, TestContext.Current.CancellationToken);
        await cache.ReloadAsync(TestContext.Current.CancellationToken);
        int before = store.Hashes;
        Assert.Equal(KeyStatus.Unknown, cache.Authenticate("sk-ant-whatever-the-client-sends", out _));
        Assert.Equal(KeyStatus.Valid, cache.Authenticate(issued.Secret, out _));
        Assert.Equal(before + 2, store.Hashes);
    }

    /// <summary>The SQLite store, counting <see cref="IKeyStore.Hash"/> calls.</summary>
    private sealed class HashCountingStore(SqliteKeyStore inner) : IKeyStore
    {
        public int Hashes { get; private set; }

        public string Hash(string secret)
        {
            Hashes++;
            return inner.Hash(secret);
        }

        public ValueTask<IssuedClientKey> CreateAsync(NewClientKey key, CancellationToken cancellationToken) => inner.CreateAsync(key, cancellationToken);

        public ValueTask<bool> ImportAsync(ClientKey key, CancellationToken cancellationToken) => inner.ImportAsync(key, cancellationToken);

        public ValueTask<ClientKey?> FindAsync(string idOrSecret, CancellationToken cancellationToken) => inner.FindAsync(idOrSecret, cancellationToken);

        public ValueTask<IReadOnlyList<ClientKey>> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

        public ValueTask<ClientKey?> UpdateAsync(string idOrSecret, ClientKeyUpdate update, CancellationToken cancellationToken) => inner.UpdateAsync(idOrSecret, update, cancellationToken);

        public ValueTask<ClientKey?> RevokeAsync(string idOrSecret, CancellationToken cancellationToken) => inner.RevokeAsync(idOrSecret, cancellationToken);

        public ValueTask<IssuedClientKey?> RotateAsync(string idOrSecret, CancellationToken cancellationToken) => inner.RotateAsync(idOrSecret, cancellationToken);

        public ValueTask<ClientKey?> SetAllowanceAsync(string idOrSecret, long allowance, TimeSpan duration, CancellationToken cancellationToken) =>
            inner.SetAllowanceAsync(idOrSecret, allowance, duration, cancellationToken);

        public ValueTask<ClientKey?> AddTokensAsync(string idOrSecret, long tokens, CancellationToken cancellationToken) => inner.AddTokensAsync(idOrSecret, tokens, cancellationToken);

        public ValueTask<ClientKey?> ResetUsageAsync(string idOrSecret, CancellationToken cancellationToken) => inner.ResetUsageAsync(idOrSecret, cancellationToken);

        public ValueTask<int> RefillAllowancesAsync(CancellationToken cancellationToken) => inner.RefillAllowancesAsync(cancellationToken);

        public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken) => inner.GetVersionAsync(cancellationToken);
    }
}
