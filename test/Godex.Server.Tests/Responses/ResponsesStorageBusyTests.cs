using System.Text;
using Godex.Core.Storage;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Data.Sqlite;

namespace Godex.Server.Tests.Responses;

/// <summary>
/// A database that cannot take the write (another process holds SQLite's write lock past the busy timeout): a
/// response that was to be stored fails in the client's own terms — never a 500, never a stream cut without its end,
/// never a "completed" response whose id godex does not have.
/// </summary>
public sealed class ResponsesStorageBusyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AResponseThatCannotBeStored_FailsInTheClientsDialect(bool stream)
    {
        string state = Directory.CreateTempSubdirectory("godex-busy-").FullName;
        string database = Path.Combine(state, "godex.db");
        try
        {
            await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Database = database);
            await using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
            await holder.OpenAsync(TestContext.Current.CancellationToken);
            using (SqliteCommand begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            using var content = new StringContent($$"""{"model":"gpt-5.2-codex","stream":{{(stream ? "true" : "false")}},"input":"store me"}""", Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, TestContext.Current.CancellationToken);
            string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

            Assert.NotEqual(500, (int)response.StatusCode);
            Assert.Contains("storage_unavailable", body, StringComparison.Ordinal);
            if (stream)
            {
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Contains("event: response.failed\n", body, StringComparison.Ordinal);
                Assert.DoesNotContain("event: response.completed\n", body, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(503, (int)response.StatusCode);
                Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public void DatabaseFailures_AreToldApartFromBugs()
    {
        Assert.True(StorageFailures.IsStorageFailure(new SqliteException("database is locked", 5)));
        Assert.True(StorageFailures.IsStorageFailure(new StorageException("down")));
        Assert.False(StorageFailures.IsStorageFailure(new InvalidOperationException("a bug")));
    }
}
