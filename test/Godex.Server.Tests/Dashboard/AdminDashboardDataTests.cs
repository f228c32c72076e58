using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Metering;
using Godex.Server.Admin;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Dashboard;

/// <summary>The admin endpoints the dashboard reads: the ledger's time series, usage as CSV, and the effective config with secrets masked.</summary>
public sealed class AdminDashboardDataTests : IAsyncLifetime
{
    private const string AdminKey = "admin-secret-for-dashboard-data";
    private const string StaticKey = "static-client-key-for-dashboard-data";
    private GodexAppHarness _godex = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = AdminKey;
            o.Proxy.ApiKey = StaticKey;
            o.Sources.Record("proxy.admin_key", AdminKey, "env GODEX_PROXY_ADMIN_KEY");
            o.Sources.Record("proxy.api_key", StaticKey, "flag --api-key");
            o.Sources.Record("proxy.database", "postgres://godex:db-password@127.0.0.1:5432/godex", "file");
        });

    public async ValueTask DisposeAsync() => await _godex.DisposeAsync();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? bearer, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await _godex.Http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Stats_CountsTheRequestsJustMade_WithErrorsByKind()
    {
        const string chat = "{\"model\":\"gpt-5.2-codex\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage ok = await SendAsync(HttpMethod.Post, "/v1/chat/completions", StaticKey, chat);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (HttpResponseMessage bad = await SendAsync(HttpMethod.Post, "/v1/chat/completions", StaticKey, "{\"messages\":["))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "/admin/stats?range=1h", AdminKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(60_000, stats.GetProperty("bucket_ms").GetInt64());
        Assert.Equal(3, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(1, stats.GetProperty("totals").GetProperty("errors").GetInt64());
        Assert.True(stats.GetProperty("totals").GetProperty("input_tokens").GetInt64() > 0);
        JsonElement error = Assert.Single(stats.GetProperty("errors").EnumerateArray());
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("invalid request", error.GetProperty("kind").GetString());
        // The ledger keeps each request's time to first byte: never more than its whole latency, so neither are the percentiles.
        Assert.All(stats.GetProperty("buckets").EnumerateArray(), busy =>
        {
            Assert.InRange(busy.GetProperty("ttfb_p50_ms").GetInt64(), 0, busy.GetProperty("latency_p50_ms").GetInt64());
            Assert.InRange(busy.GetProperty("ttfb_p95_ms").GetInt64(), busy.GetProperty("ttfb_p50_ms").GetInt64(), busy.GetProperty("latency_p95_ms").GetInt64());
        });
        long since = stats.GetProperty("since_ms").GetInt64();
        Assert.All(stats.GetProperty("buckets").EnumerateArray(), b => Assert.True(b.GetProperty("t").GetInt64() >= since && (b.GetProperty("t").GetInt64() - since) % 60_000 == 0));
    }

    [Theory]
    [InlineData("/admin/stats?range=2h")]
    [InlineData("/admin/usage?by=colour")]
    public async Task BadQuery_Is400NamingTheParameter(string path)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, AdminKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"param\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/stats")]
    [InlineData("/admin/config")]
    [InlineData("/admin/usage?format=csv")]
    public async Task WithoutTheAdminKey_Is404(string path)
    {
        using HttpResponseMessage none = await SendAsync(HttpMethod.Get, path, null);
        using HttpResponseMessage wrong = await SendAsync(HttpMethod.Get, path, "not-the-admin-key");

        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }

    [Fact]
    public async Task Usage_ByModel_AsCsv()
    {
        using (HttpResponseMessage ok = await SendAsync(HttpMethod.Post, "/v1/chat/completions", StaticKey, "{\"model\":\"gpt-5.2-codex\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "/admin/usage?by=model&format=csv", AdminKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        string[] lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("model,label,requests,input_tokens,output_tokens,cached_tokens,reasoning_tokens,total_tokens,cost_usd,last_seen", lines[0]);
        Assert.StartsWith("gpt-5.2-codex,,1,", Assert.Single(lines[1..]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_ShowsSourcesAndDefaults_AndNoSecret()
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "/admin/config", AdminKey);
        string text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(AdminKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(StaticKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("db-password", text, StringComparison.Ordinal);
        Dictionary<string, JsonElement> keys = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key").GetString()!);
        Assert.Equal("env GODEX_PROXY_ADMIN_KEY", keys["proxy.admin_key"].GetProperty("source").GetString());
        Assert.True(keys["proxy.admin_key"].GetProperty("secret").GetBoolean());
        Assert.Equal("flag --api-key", keys["proxy.api_key"].GetProperty("source").GetString());
        Assert.Equal("postgres://godex:******@127.0.0.1:5432/godex", keys["proxy.database"].GetProperty("value").GetString());
        Assert.Equal("default", keys["proxy.default_burst"].GetProperty("source").GetString());
        Assert.Equal("10", keys["proxy.default_burst"].GetProperty("value").GetString());
        Assert.Equal("", keys["proxy.backends.anthropic.api_key"].GetProperty("value").GetString()); // unset secret: empty, not "set"
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("postgres://godex@host/db", "postgres://godex@host/db")]
    [InlineData("postgres://godex:pw@host/db", "postgres://godex:******@host/db")]
    [InlineData("https://user:tok@collector:4318/v1", "https://user:******@collector:4318/v1")]
    public void Mask_RemovesAUrlsPassword(string value, string shown) => Assert.Equal(shown, AdminConfig.Mask(value));

    [Fact]
    public void Csv_QuotesFields_AndDefusesFormulas()
    {
        var totals = new[] { new UsageTotals("key_1", 2, 10, 5, 0, 0, DateTimeOffset.UnixEpoch) { CostMicros = 1500 } };

        string csv = UsageCsv.Write(totals, UsageGrouping.Key, _ => "=HYPERLINK(\"x\"),y");

        Assert.Equal("key_1,\"'=HYPERLINK(\"\"x\"\"),y\",2,10,5,0,0,15,0.001500,1970-01-01T00:00:00Z", csv.Split("\r\n")[1]);
    }

    [Fact]
    public void Stats_Start_IsAlignedToWholeBuckets()
    {
        DateTimeOffset now = DateTimeOffset.Parse("2026-12-03T15:07:31Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(DateTimeOffset.Parse("2026-12-03T14:07:00Z", System.Globalization.CultureInfo.InvariantCulture), AdminStats.Start(now, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)));
        Assert.Equal(DateTimeOffset.Parse("2026-11-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), AdminStats.Start(now, TimeSpan.FromDays(30), TimeSpan.FromHours(6)));
    }
}
