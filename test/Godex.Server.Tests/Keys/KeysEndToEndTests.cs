using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Keys;

/// <summary>Client keys, limits and the ledger through the real server (GodexApp on the simulator).</summary>
public sealed class KeysEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IssuedClientKey> AddKeyAsync(GodexAppHarness godex, NewClientKey key)
    {
        IssuedClientKey issued = await godex.App.Services.GetRequiredService<IKeyStore>().CreateAsync(key, Ct);
        await godex.App.Services.GetRequiredService<KeyCache>().ReloadAsync(Ct);
        return issued;
    }

    private static async Task<HttpResponseMessage> ChatAsync(GodexAppHarness godex, string? key, string model = "gpt-5.2-codex", bool stream = false, string prompt = "hello", string path = "v1/chat/completions")
    {
        string body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},{{(stream ? "\"stream_options\":{\"include_usage\":true}," : "")}}"messages":[{"role":"user","content":"{{prompt}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await godex.Http.SendAsync(request, Ct);
    }

    private static async Task<IReadOnlyList<UsageRecord>> RowsAsync(GodexAppHarness godex, string keyId)
    {
        await ((UsageLedgerWriter)godex.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);
        return await godex.App.Services.GetRequiredService<IUsageLedger>().ListAsync(null, keyId, 10_000, Ct);
    }

    /// <summary>
    /// The request's one row. The client can have the whole body before the handler has finished (a stored response
    /// is written after the last byte), so the row may be recorded a moment later: wait for it, bounded.
    /// </summary>
    private static async Task<UsageRecord> SingleRowAsync(GodexAppHarness godex, string keyId)
    {
        IReadOnlyList<UsageRecord> rows = [];
        for (int i = 0; i < 100 && rows.Count == 0; i++)
        {
            rows = await RowsAsync(godex, keyId);
            if (rows.Count == 0)
            {
                await Task.Delay(20, Ct);
            }
        }

        return Assert.Single(rows);
    }

    [Fact]
    public async Task OverRate_429WithRetryAfterFromRefill_AndRateHeaders()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o => o.Proxy.Simulator = "on", time);
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "a", Rate = "6/m", Burst = 2 });

        HttpResponseMessage first = await ChatAsync(godex, key.Secret);
        HttpResponseMessage second = await ChatAsync(godex, key.Secret);
        HttpResponseMessage third = await ChatAsync(godex, key.Secret);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("6", first.Headers.GetValues("x-ratelimit-limit-requests").Single()); // the rate, as OpenAI's header
        Assert.Equal("1", first.Headers.GetValues("x-ratelimit-remaining-requests").Single()); // the burst left
        Assert.Equal("10s", first.Headers.GetValues("x-ratelimit-reset-requests").Single());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(10), third.Headers.RetryAfter!.Delta); // 6/m refills one request every 10 s
        Assert.Equal("0", third.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        JsonElement error = JsonDocument.Parse(await third.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());

        time.Advance(TimeSpan.FromSeconds(4));
        HttpResponseMessage stillEarly = await ChatAsync(godex, key.Secret);
        Assert.Equal(TimeSpan.FromSeconds(6), stillEarly.Headers.RetryAfter!.Delta);

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, key.Secret)).StatusCode);
    }

    [Fact]
    public async Task OverRate_OnAnthropicPath_UsesAnthropicErrorShape()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "a", Rate = "1/h", Burst = 1 });
        await ChatAsync(godex, key.Secret);

        HttpResponseMessage refused = await ChatAsync(godex, key.Secret, path: "v1/messages");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        JsonElement root = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal("rate_limit_error", root.GetProperty("error").GetProperty("type").GetString());
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 3590, 3600);
    }

    [Fact]
    public async Task Quota_RefusesUntilWindowEnds_ThenResets()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero));
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(
            o =>
            {
                o.Proxy.Simulator = "on";
                o.Proxy.MeterWindow = TimeSpan.FromHours(24);
            },
            time);
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "q", Rate = "1000/s", Burst = 1000, QuotaTokens = 1 });

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, key.Secret)).StatusCode); // crosses the quota
        HttpResponseMessage refused = await ChatAsync(godex, key.Secret);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromHours(14), refused.Headers.RetryAfter!.Delta); // the window ends at midnight UTC
        Assert.Equal("0", refused.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
        Assert.Contains("quota_exceeded", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromHours(14));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, key.Secret)).StatusCode);
    }

    [Fact]
    public async Task RevokedExpiredRotatedUnknownAndStoredHash_Get401()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o => o.Proxy.Simulator = "on", time);
        IKeyStore store = godex.App.Services.GetRequiredService<IKeyStore>();
        KeyCache cache = godex.App.Services.GetRequiredService<KeyCache>();
        IssuedClientKey revoked = await AddKeyAsync(godex, new NewClientKey { Label = "r" });
        IssuedClientKey expiring = await AddKeyAsync(godex, new NewClientKey { Label = "e", ExpiresAt = time.GetUtcNow().AddHours(1) });
        IssuedClientKey rotated = await AddKeyAsync(godex, new NewClientKey { Label = "o" });
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, revoked.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, expiring.Secret)).StatusCode);

        await store.RevokeAsync(revoked.Key.Id, Ct);
        IssuedClientKey rotatedAgain = (await store.RotateAsync(rotated.Key.Id, Ct))!;
        await cache.ReloadAsync(Ct);
        time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, revoked.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, expiring.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, rotated.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, rotated.Key.Hash)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, "gxk_unknown")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, rotatedAgain.Secret)).StatusCode);
        Assert.Equal(rotated.Key.Id, rotatedAgain.Key.Id);
        HttpResponseMessage anthropic = await ChatAsync(godex, revoked.Secret, path: "v1/messages");
        Assert.Equal("authentication_error", JsonDocument.Parse(await anthropic.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task StaticApiKey_StillWorks_NextToStoreKeys()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.ApiKey = "sk-static-test-key";
        });
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "k" });

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, "sk-static-test-key")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, key.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(godex, "nope")).StatusCode);
    }

    [Fact]
    public async Task ModelAllowList_OtherModel403()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "m", Models = ["claude-*"] });

        Assert.Equal(HttpStatusCode.Forbidden, (await ChatAsync(godex, key.Secret, "gpt-5.2-codex")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, key.Secret, "claude-sonnet-4-5")).StatusCode);
    }

    [Theory]
    [InlineData("gpt-5.2-codex", false, "codex")]
    [InlineData("gpt-5.2-codex", true, "codex")]
    [InlineData("claude-sonnet-4-5", false, "anthropic")]
    [InlineData("claude-sonnet-4-5", true, "anthropic")]
    public async Task Ledger_TokenCountsEqualUpstreamUsage(string model, bool stream, string backend)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "l" });

        HttpResponseMessage response = await ChatAsync(godex, key.Secret, model, stream, "count my tokens please");
        string body = await response.Content.ReadAsStringAsync(Ct);
        JsonElement usage = stream
            ? body.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement).Last(e => e.TryGetProperty("usage", out JsonElement u) && u.ValueKind == JsonValueKind.Object).GetProperty("usage")
            : JsonDocument.Parse(body).RootElement.GetProperty("usage");

        UsageRecord row = await SingleRowAsync(godex, key.Key.Id);
        Assert.Equal(200, row.Status);
        Assert.Equal(backend, row.Backend);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), row.InputTokens);
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), row.OutputTokens);
        Assert.True(row.InputTokens > 0 && row.OutputTokens > 0);
        Assert.Equal("/v1/chat/completions", row.Path);
        Assert.False(string.IsNullOrEmpty(row.RequestId));
    }

    /// <summary>Every front door feeds the same ledger: Responses (translated, and Codex passthrough with store:false) and Messages.</summary>
    [Theory]
    [InlineData("v1/responses", """{"model":"gpt-5.2-codex","input":"count my tokens please"}""", "codex")]
    [InlineData("v1/responses", """{"model":"gpt-5.2-codex","store":false,"stream":true,"input":"count my tokens please"}""", "codex")]
    [InlineData("v1/responses", """{"model":"claude-sonnet-4-5","stream":true,"input":"count my tokens please"}""", "anthropic")]
    [InlineData("v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"count my tokens please"}]}""", "anthropic")]
    [InlineData("v1/messages", """{"model":"gpt-5.2-codex","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"count my tokens please"}]}""", "codex")]
    public async Task Ledger_EveryFrontDoor_RecordsUpstreamUsage(string path, string body, string backend)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "doors" });
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
        string answer = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.IsSuccessStatusCode, answer);
        UsageRecord row = await SingleRowAsync(godex, key.Key.Id);
        Assert.Equal(200, row.Status);
        Assert.Equal(backend, row.Backend);
        Assert.Equal("/" + path, row.Path);
        Assert.True(row.InputTokens > 0, $"input tokens {row.InputTokens}");
        Assert.True(row.OutputTokens > 0, $"output tokens {row.OutputTokens}");
    }

    [Fact]
    public async Task Ledger_FailedRequestsAreRecordedToo()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Routing.Default = null);
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "f" });

        HttpResponseMessage response = await ChatAsync(godex, key.Secret, "no-such-model");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        UsageRecord row = await SingleRowAsync(godex, key.Key.Id);
        Assert.Equal(404, row.Status);
    }

    [Fact]
    public async Task Ledger_ClientDisconnectedStream_IsRecorded()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "d" });
        string body = """{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"[sim:slow=200] tell me a long story about many things"}]}""";
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
            using HttpResponseMessage response = await godex.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            await using Stream stream = await response.Content.ReadAsStreamAsync(Ct);
            byte[] buffer = new byte[64];
            _ = await stream.ReadAsync(buffer, Ct); // the first bytes, then hang up
        }

        UsageRecord? row = null;
        for (int i = 0; i < 100 && row is null; i++)
        {
            row = (await RowsAsync(godex, key.Key.Id)).SingleOrDefault();
            if (row is null)
            {
                await Task.Delay(50, Ct);
            }
        }

        Assert.NotNull(row);
        Assert.Equal(499, row.Status);
        Assert.Equal("anthropic", row.Backend);
        Assert.True(row.OutputTokens > 0, "the output streamed before the cut is counted (estimated when the upstream had not reported usage yet)");
    }

    [Fact]
    public async Task Ledger_200ConcurrentRequests_Exactly200Rows()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        IssuedClientKey key = await AddKeyAsync(godex, new NewClientKey { Label = "c", Rate = "10000/s", Burst = 1000 });

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ChatAsync(godex, key.Secret, stream: i % 2 == 0)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        // A client can hold its whole answer a moment before the request's row is recorded (see SingleRowAsync).
        IReadOnlyList<UsageRecord> rows = await RowsAsync(godex, key.Key.Id);
        for (int i = 0; i < 100 && rows.Count < 200; i++)
        {
            await Task.Delay(20, Ct);
            rows = await RowsAsync(godex, key.Key.Id);
        }

        Assert.Equal(200, rows.Count);
        Assert.Equal(200, rows.Select(r => r.RequestId).Distinct().Count());
    }

    [Fact]
    public async Task AdminApi_OverHttpNeedsAdminKey_CreatesKeysThatWorkAtOnce()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = "admin-secret-for-tests";
        });

        HttpResponseMessage anonymous = await godex.Http.PostAsync("admin/keys", new StringContent("{}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);

        using var create = new HttpRequestMessage(HttpMethod.Post, "admin/keys") { Content = new StringContent("""{"label":"bot","rate":"2/m","burst":1}""", Encoding.UTF8, "application/json") };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-secret-for-tests");
        HttpResponseMessage created = await godex.Http.SendAsync(create, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement json = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement;
        string secret = json.GetProperty("api_key").GetString()!;
        Assert.StartsWith("gxk_", secret, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, secret)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(godex, secret)).StatusCode);

        using var update = new HttpRequestMessage(HttpMethod.Post, "admin/keys/" + json.GetProperty("key_id").GetString()) { Content = new StringContent("""{"burst":5}""", Encoding.UTF8, "application/json") };
        update.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-secret-for-tests");
        JsonElement updated = JsonDocument.Parse(await (await godex.Http.SendAsync(update, Ct)).Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(5, updated.GetProperty("burst").GetInt32());
        Assert.Equal("2/m", updated.GetProperty("rate").GetString()); // unchanged
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AdminSocket_IsOwnerOnly_AndServesTheApi()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        string socket = Path.Combine(godex.StateDirectory, "admin.sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            },
        };
        using var admin = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/") };
        HttpResponseMessage created = await admin.PostAsync("admin/keys", new StringContent("""{"label":"via-socket"}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("key_id").GetString()!;

        HttpResponseMessage policy = await admin.PostAsync($"admin/keys/{id}/policy", new StringContent("""{"token_allowance":1000,"allowance_duration":"24h"}""", Encoding.UTF8, "application/json"), Ct);
        JsonElement body = JsonDocument.Parse(await policy.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(1000, body.GetProperty("token_balance").GetInt64());

        HttpResponseMessage added = await admin.PostAsync($"admin/keys/{id}/add-tokens", new StringContent("""{"tokens":-1000}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(0, JsonDocument.Parse(await added.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("token_balance").GetInt64());
    }
}
