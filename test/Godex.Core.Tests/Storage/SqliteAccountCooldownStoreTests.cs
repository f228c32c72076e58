using Godex.Core.Limits;
using Godex.Core.Storage;

namespace Godex.Core.Tests.Storage;

public sealed class SqliteAccountCooldownStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-cooldowns-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Cooldowns_SetListClear_SeenByAnotherProcessOnTheFile()
    {
        string path = Path.Combine(_dir, "godex.db");
        var writer = new SqliteAccountCooldownStore(GodexDatabase.Open(path, TimeProvider.System), TimeProvider.System);
        var reader = new SqliteAccountCooldownStore(GodexDatabase.Open(path, TimeProvider.System), TimeProvider.System);
        await CooldownContract.RunAsync(writer, reader, TestContext.Current.CancellationToken);
    }
}
