using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Responses;

/// <summary><c>previous_response_id</c> chains live in the database, so a restart of godex keeps them.</summary>
public sealed class ResponsesRestartTests
{
    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task Chain_SurvivesARestart_OnTheSameDatabase(string model)
    {
        string state = Directory.CreateTempSubdirectory("godex-restart-").FullName;
        string database = Path.Combine(state, "godex.db");
        try
        {
            string firstId;
            await using (GodexAppHarness before = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Database = database))
            {
                using JsonDocument first = await PostAsync(before, $$"""{"model":"{{model}}","input":"remember the word PARSNIP"}""");
                firstId = first.RootElement.GetProperty("id").GetString()!;
            }

            await using GodexAppHarness after = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Database = database);
            using JsonDocument second = await PostAsync(after, $$"""{"model":"{{model}}","previous_response_id":"{{firstId}}","input":"which word?"}""");

            Assert.Equal(firstId, second.RootElement.GetProperty("previous_response_id").GetString());
            Assert.Equal("completed", second.RootElement.GetProperty("status").GetString());
            // The simulator answers from the last user turn; the chain must have reached the upstream as history.
            using HttpResponseMessage stored = await after.Http.GetAsync("/v1/responses/" + firstId, TestContext.Current.CancellationToken);
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(state, recursive: true);
        }
    }

    private static async Task<JsonDocument> PostAsync(GodexAppHarness godex, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body);
    }
}
