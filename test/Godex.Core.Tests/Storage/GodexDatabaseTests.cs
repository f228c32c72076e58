using Godex.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Storage;

public sealed class GodexDatabaseTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-db-" + Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_dir, "godex.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_CreatesWalDatabase_WithVersionedMigrations_Idempotently()
    {
        GodexDatabase first = GodexDatabase.Open(DbPath, TimeProvider.System);
        GodexDatabase second = GodexDatabase.Open(DbPath, TimeProvider.System);

        using SqliteConnection connection = first.OpenConnection();
        Assert.Equal("wal", GodexDatabase.Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal((long)GodexDatabase.SchemaVersion, GodexDatabase.Scalar(connection, "SELECT MAX(version) FROM schema_migrations;"));
        Assert.Equal((long)GodexDatabase.SchemaVersion, GodexDatabase.Scalar(connection, "SELECT COUNT(*) FROM schema_migrations;"));
        Assert.Equal(first.KeySecret, second.KeySecret);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath));
    }

    [Fact]
    public void Open_CorruptFile_ThrowsNamingThePath()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(DbPath, [.. System.Text.Encoding.ASCII.GetBytes("this is not a database at all, just text"), .. new byte[8192]]);

        StorageException ex = Assert.Throws<StorageException>(() => GodexDatabase.Open(DbPath, TimeProvider.System));

        Assert.Contains(DbPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewerSchema_ThrowsAskingForUpgrade()
    {
        GodexDatabase db = GodexDatabase.Open(DbPath, TimeProvider.System);
        using (SqliteConnection connection = db.OpenConnection())
        {
            GodexDatabase.Execute(connection, "INSERT INTO schema_migrations VALUES (99, 0);");
        }

        StorageException ex = Assert.Throws<StorageException>(() => GodexDatabase.Open(DbPath, TimeProvider.System));
        Assert.Contains("upgrade godex", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponseStore_SurvivesReopen_ExpiresAndIsBounded()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new SqliteResponseStore(GodexDatabase.Open(DbPath, time), time, maxResponses: 2);
        DateTimeOffset now = time.GetUtcNow();
        await store.SaveAsync(new StoredResponse("resp_1", null, "m", "{}"u8.ToArray(), now, now.AddHours(1)), TestContext.Current.CancellationToken);
        await store.SaveAsync(new StoredResponse("resp_2", "resp_1", "m", "[1]"u8.ToArray(), now.AddSeconds(1), now.AddMinutes(1)), TestContext.Current.CancellationToken);

        var reopened = new SqliteResponseStore(GodexDatabase.Open(DbPath, time), time, maxResponses: 2);
        StoredResponse? second = await reopened.GetAsync("resp_2", TestContext.Current.CancellationToken);
        Assert.Equal("resp_1", second!.PreviousResponseId);
        Assert.Equal("[1]"u8.ToArray(), second.Json);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await reopened.GetAsync("resp_2", TestContext.Current.CancellationToken));
        await reopened.SaveAsync(new StoredResponse("resp_3", null, "m", "{}"u8.ToArray(), time.GetUtcNow(), time.GetUtcNow().AddHours(1)), TestContext.Current.CancellationToken);
        await reopened.SaveAsync(new StoredResponse("resp_4", null, "m", "{}"u8.ToArray(), time.GetUtcNow().AddSeconds(1), time.GetUtcNow().AddHours(1)), TestContext.Current.CancellationToken);
        Assert.Null(await reopened.GetAsync("resp_1", TestContext.Current.CancellationToken)); // the oldest went over the bound
        Assert.True(await reopened.DeleteAsync("resp_4", TestContext.Current.CancellationToken));
    }
}
