using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Server.Access;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Godex.Server.Tests.Hosting;

/// <summary>Request ids, unknown routes and rate-limit header formats, through the real server on the simulator.</summary>
public sealed class HttpConventionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("GET", "/health", null)]
    [InlineData("GET", "/v1/models", null)]
    [InlineData("POST", "/v1/chat/completions", """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("POST", "/v1/chat/completions", """{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("POST", "/v1/chat/completions", "not json")]
    [InlineData("GET", "/v1/no-such-thing", null)]
    public async Task EveryResponse_HasAnXRequestId(string method, string path, string? body)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : Json(body) };

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);

        Assert.Matches("^req_[A-Za-z0-9]{24}$", response.Headers.GetValues("x-request-id").Single());
        Assert.False(response.Headers.Contains("request-id"));
    }

    [Fact]
    public async Task RequestIds_AreUnique()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        var ids = new HashSet<string>();
        for (int i = 0; i < 20; i++)
        {
            using HttpResponseMessage response = await godex.Http.GetAsync("/health", Ct);
            ids.Add(response.Headers.GetValues("x-request-id").Single());
        }

        Assert.Equal(20, ids.Count);
    }

    [Fact]
    public async Task AnthropicDialect_AlsoGetsRequestId_TheSameValue()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using HttpResponseMessage response = await godex.Http.PostAsync(
            "/v1/messages", Json("""{"model":"gpt-5.2-codex","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), response.Headers.GetValues("request-id").Single());
    }

    [Fact]
    public async Task RequestId_IsTheLedgerRowsRequestId_AndInTheLogs()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(
            o =>
            {
                o.Proxy.Simulator = "on";
                o.Proxy.LogRequests = true;
                o.Proxy.LogLevel = "info";
            },
            configureLogging: logging => logging.AddFakeLogging());
        IssuedClientKey key = await godex.App.Services.GetRequiredService<IKeyStore>().CreateAsync(new NewClientKey { Label = "r" }, Ct);
        await godex.App.Services.GetRequiredService<KeyCache>().ReloadAsync(Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
        string id = response.Headers.GetValues("x-request-id").Single();

        IReadOnlyList<UsageRecord> rows = [];
        for (int i = 0; i < 100 && rows.Count == 0; i++)
        {
            await ((UsageLedgerWriter)godex.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);
            rows = await godex.App.Services.GetRequiredService<IUsageLedger>().ListAsync(null, key.Key.Id, 10, Ct);
            await Task.Delay(rows.Count == 0 ? 20 : 0, Ct);
        }

        Assert.Equal(id, Assert.Single(rows).RequestId);

        // The request line is logged when the pipeline unwinds, which may be just after the client has the response.
        FakeLogCollector logs = godex.App.Services.GetFakeLogCollector();
        FakeLogRecord? line = null;
        for (int i = 0; i < 100 && line is null; i++)
        {
            line = logs.GetSnapshot().FirstOrDefault(r => r.Message.StartsWith("POST /v1/chat/completions 200", StringComparison.Ordinal));
            await Task.Delay(line is null ? 20 : 0, Ct);
        }

        Assert.NotNull(line);
        Assert.Contains(line.Scopes, s => s?.ToString() == "request_id=" + id);
    }

    [Theory]
    [InlineData("GET", "/v1/no-such-thing")]
    [InlineData("POST", "/v1/assistants")]
    [InlineData("GET", "/v1/chat/completions")]
    public async Task UnknownRoute_Is404WithAnOpenAIError(string method, string path)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using HttpResponseMessage response = await godex.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonElement error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
        Assert.Contains($"{method} {path}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/messages/batches", null)]
    [InlineData("/v1/files", "2023-06-01")]
    public async Task UnknownRoute_OfAnAnthropicClient_Is404WithAnAnthropicError(string path, string? anthropicVersion)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json("{}") };
        if (anthropicVersion is not null)
        {
            request.Headers.Add("anthropic-version", anthropicVersion);
        }

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        JsonElement root = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal("not_found_error", root.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), response.Headers.GetValues("request-id").Single());
    }

    [Fact]
    public async Task OutsideV1_UnknownPathsStayPlain404s()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        using HttpResponseMessage response = await godex.Http.GetAsync("/favicon.ico", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(0.25, "250ms")]
    [InlineData(1, "1s")]
    [InlineData(12.5, "12.5s")]
    [InlineData(90, "1m30s")]
    [InlineData(360, "6m0s")]
    [InlineData(86_400, "24h0m0s")]
    [InlineData(3_723.004, "1h2m3.004s")]
    public void ResetDurations_UseOpenAIsFormat(double seconds, string expected) =>
        Assert.Equal(expected, ClientKeyMiddleware.Duration(TimeSpan.FromSeconds(seconds)));
}
