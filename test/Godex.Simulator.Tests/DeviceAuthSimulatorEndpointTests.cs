using System.Net;
using System.Text.Json;

namespace Godex.Simulator.Tests;

/// <summary>OpenAI's device login as the Codex CLI speaks it: pending until approved, the interval enforced, codes expire.</summary>
public sealed class DeviceAuthSimulatorEndpointTests
{
    [Fact]
    public async Task DeviceLogin_PendingUntilApproved_ThenTheCodeRedeemsAtTheTokenEndpoint()
    {
        var clock = new ManualClock();
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync(new SimulatorOptions { TimeProvider = clock, DeviceCodeInterval = TimeSpan.FromSeconds(5) });
        (string id, string userCode, string interval) = await StartAsync(client);
        Assert.Equal("5", interval);

        using HttpResponseMessage pending = await PollAsync(client, id, userCode);
        Assert.Equal(HttpStatusCode.Forbidden, pending.StatusCode);

        clock.Advance(TimeSpan.FromSeconds(5));
        using var approve = new FormUrlEncodedContent([new("user_code", userCode.ToLowerInvariant())]);
        using HttpResponseMessage page = await client.Http.PostAsync("/codex/device", approve, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using HttpResponseMessage approved = await PollAsync(client, id, userCode);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        using JsonDocument grant = JsonDocument.Parse(await approved.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        string code = grant.RootElement.GetProperty("authorization_code").GetString()!;
        string verifier = grant.RootElement.GetProperty("code_verifier").GetString()!;

        string issuer = client.Host.BaseUrl.GetLeftPart(UriPartial.Authority);
        using var exchange = new FormUrlEncodedContent(
        [
            new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", issuer + "/deviceauth/callback"), new("client_id", "app"), new("code_verifier", verifier),
        ]);
        using HttpResponseMessage tokens = await client.Http.PostAsync("/oauth/token", exchange, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);

        clock.Advance(TimeSpan.FromSeconds(5));
        using HttpResponseMessage afterwards = await PollAsync(client, id, userCode);
        Assert.Equal(HttpStatusCode.NotFound, afterwards.StatusCode);
    }

    [Fact]
    public async Task DeviceLogin_PollSoonerThanTheInterval_Is429WithRetryAfter()
    {
        var clock = new ManualClock();
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync(new SimulatorOptions { TimeProvider = clock, DeviceCodeInterval = TimeSpan.FromSeconds(5) });
        (string id, string userCode, _) = await StartAsync(client);

        using HttpResponseMessage first = await PollAsync(client, id, userCode);
        clock.Advance(TimeSpan.FromSeconds(2));
        using HttpResponseMessage hurried = await PollAsync(client, id, userCode);
        clock.Advance(TimeSpan.FromSeconds(5));
        using HttpResponseMessage patient = await PollAsync(client, id, userCode);

        Assert.Equal(HttpStatusCode.Forbidden, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, hurried.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), hurried.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.Forbidden, patient.StatusCode);
    }

    [Fact]
    public async Task DeviceLogin_AfterItsLifetime_IsUnknownAndCannotBeApproved()
    {
        var clock = new ManualClock();
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync(new SimulatorOptions { TimeProvider = clock, DeviceCodeLifetime = TimeSpan.FromMinutes(15) });
        (string id, string userCode, _) = await StartAsync(client);

        clock.Advance(TimeSpan.FromMinutes(15));
        using var approve = new FormUrlEncodedContent([new("user_code", userCode)]);
        using HttpResponseMessage page = await client.Http.PostAsync("/codex/device", approve, TestContext.Current.CancellationToken);
        using HttpResponseMessage poll = await PollAsync(client, id, userCode);

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, poll.StatusCode);
    }

    [Fact]
    public async Task DeviceLogin_WithoutClientId_Is400()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        using HttpResponseMessage response = await client.PostAsync("/api/accounts/deviceauth/usercode", "{}", bearer: null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static async Task<(string Id, string UserCode, string Interval)> StartAsync(SimulatorTestClient client)
    {
        using HttpResponseMessage response = await client.PostAsync("/api/accounts/deviceauth/usercode", """{"client_id":"app"}""", bearer: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement root = body.RootElement;
        return (root.GetProperty("device_auth_id").GetString()!, root.GetProperty("user_code").GetString()!, root.GetProperty("interval").GetString()!);
    }

    private static Task<HttpResponseMessage> PollAsync(SimulatorTestClient client, string id, string userCode) =>
        client.PostAsync("/api/accounts/deviceauth/token", $$"""{"device_auth_id":"{{id}}","user_code":"{{userCode}}"}""", bearer: null);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
