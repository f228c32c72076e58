using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(PostgresServer))]

namespace Godex.Server.Tests.SeveralInstances;

/// <summary>
/// Two godex apps (the real composition root, each on its own simulator) on one PostgreSQL database, as two
/// instances behind a load balancer: keys, limits, stored responses and the ledger agree between them.
/// </summary>
public sealed class SharedStateTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(GodexAppHarness A, GodexAppHarness B)> StartTwoAsync()
    {
        string url = await server.CreateDatabaseAsync();
        GodexAppHarness a = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Database = url);
        GodexAppHarness b = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Database = url);
        return (a, b);
    }

    private static async Task<HttpResponseMessage> ChatAsync(GodexAppHarness godex, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"Say hello"}]}""", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return await godex.Http.SendAsync(request, Ct);
    }

    private static async Task<HttpStatusCode> StatusAsync(GodexAppHarness godex, string? key)
    {
        using HttpResponseMessage response = await ChatAsync(godex, key);
        return response.StatusCode;
    }

    /// <summary>Waits until <paramref name="godex"/> answers <paramref name="expected"/>; returns how long that took.</summary>
    private static async Task<TimeSpan> UntilAsync(GodexAppHarness godex, string key, HttpStatusCode expected, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (await StatusAsync(godex, key) != expected)
        {
            Assert.True(clock.Elapsed < limit, $"still not {expected} after {clock.Elapsed}");
            await Task.Delay(10, Ct);
        }

        return clock.Elapsed;
    }

    /// <summary>Waits until both instances loaded the store's keys (an unknown key is refused once keys exist).</summary>
    private static async Task KnowTheKeysAsync(GodexAppHarness a, GodexAppHarness b)
    {
        await UntilAsync(a, "gxk_unknown", HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
        await UntilAsync(b, "gxk_unknown", HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Revoked_AtOneInstance_IsRefusedByTheOtherWithinOneSecond()
    {
        (GodexAppHarness a, GodexAppHarness b) = await StartTwoAsync();
        await using (a)
        await using (b)
        {
            IKeyStore keys = a.App.Services.GetRequiredService<IKeyStore>();
            await keys.CreateAsync(new NewClientKey { Label = "other" }, Ct); // keys stay required once this one is revoked
            IssuedClientKey key = await keys.CreateAsync(new NewClientKey { Label = "team" }, Ct);
            await UntilAsync(b, key.Secret, HttpStatusCode.OK, TimeSpan.FromSeconds(1));

            await keys.RevokeAsync(key.Key.Id, Ct);
            TimeSpan took = await UntilAsync(b, key.Secret, HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
            Assert.True(took < TimeSpan.FromSeconds(1), took.ToString());

            // A rotation at B: the old secret stops at A as fast.
            IssuedClientKey live = await keys.CreateAsync(new NewClientKey { Label = "rotated" }, Ct);
            await UntilAsync(a, live.Secret, HttpStatusCode.OK, TimeSpan.FromSeconds(1));
            IssuedClientKey rotated = (await b.App.Services.GetRequiredService<IKeyStore>().RotateAsync(live.Key.Id, Ct))!;
            Assert.True(await UntilAsync(a, live.Secret, HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1)) < TimeSpan.FromSeconds(1));
            await UntilAsync(a, rotated.Secret, HttpStatusCode.OK, TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task RateLimit_TenPerMinute_HoldsInTotalAcrossInstances()
    {
        (GodexAppHarness a, GodexAppHarness b) = await StartTwoAsync();
        await using (a)
        await using (b)
        {
            IssuedClientKey key = await a.App.Services.GetRequiredService<IKeyStore>().CreateAsync(new NewClientKey { Label = "limited", Rate = "10/m", Burst = 10 }, Ct);
            await KnowTheKeysAsync(a, b);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, key.Secret)); // takes one of the ten

            HttpStatusCode[] statuses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => StatusAsync(i % 2 == 0 ? a : b, key.Secret)));
            Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.OK));
            Assert.Equal(21, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        }
    }

    [Fact]
    public async Task ConcurrencyCap_HoldsAcrossInstances()
    {
        (GodexAppHarness a, GodexAppHarness b) = await StartTwoAsync();
        await using (a)
        await using (b)
        {
            IssuedClientKey key = await a.App.Services.GetRequiredService<IKeyStore>().CreateAsync(new NewClientKey { Label = "capped", MaxConcurrent = 1 }, Ct);
            await KnowTheKeysAsync(a, b);

            // A slow stream holds the one slot at A; B refuses meanwhile, then serves once it ended.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent("""{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"[sim:slow=200] Say hello"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Secret);
            using (HttpResponseMessage holding = await a.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, holding.StatusCode);
                Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(b, key.Secret));
                await holding.Content.ReadAsStringAsync(Ct);
            }

            await UntilAsync(b, key.Secret, HttpStatusCode.OK, TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public async Task PreviousResponseId_ChainAlternatingInstances_Holds()
    {
        (GodexAppHarness a, GodexAppHarness b) = await StartTwoAsync();
        await using (a)
        await using (b)
        {
            string? previous = null;
            for (int turn = 0; turn < 4; turn++)
            {
                GodexAppHarness godex = turn % 2 == 0 ? a : b;
                string prev = previous is null ? "" : $",\"previous_response_id\":\"{previous}\"";
                using var content = new StringContent($$"""{"model":"gpt-5.2-codex","input":"turn {{turn}}"{{prev}}}""", Encoding.UTF8, "application/json");
                using HttpResponseMessage response = await godex.Http.PostAsync("/v1/responses", content, Ct);
                string body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.IsSuccessStatusCode, body);
                using JsonDocument json = JsonDocument.Parse(body);
                if (previous is not null)
                {
                    Assert.Equal(previous, json.RootElement.GetProperty("previous_response_id").GetString());
                }

                previous = json.RootElement.GetProperty("id").GetString();
            }
        }
    }

    [Fact]
    public async Task Ledger_RowsFromBothInstances_LandInOneTable()
    {
        (GodexAppHarness a, GodexAppHarness b) = await StartTwoAsync();
        await using (a)
        await using (b)
        {
            HttpStatusCode[] statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => StatusAsync(i % 2 == 0 ? a : b, null)));
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
            await ((UsageLedgerWriter)a.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);
            await ((UsageLedgerWriter)b.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);

            UsageTotals totals = Assert.Single(await b.App.Services.GetRequiredService<IUsageLedger>().TotalsAsync(null, "anonymous", Ct));
            Assert.Equal(40, totals.Requests);
        }
    }
}
