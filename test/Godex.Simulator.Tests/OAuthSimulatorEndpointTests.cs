using System.Net;
using System.Text.Json;

namespace Godex.Simulator.Tests;

public sealed class OAuthSimulatorEndpointTests
{
    [Fact]
    public async Task RefreshGrant_ReturnsNewTokensAndCountsCall()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync("/oauth/token", """{"grant_type":"refresh_token","refresh_token":"old","client_id":"app"}""", bearer: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement body = json.RootElement;
        Assert.StartsWith("sim-access-", body.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        Assert.NotEqual("old", body.GetProperty("refresh_token").GetString());
        Assert.Equal(3, body.GetProperty("id_token").GetString()!.Split('.').Length);
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(1, client.State.CallCount("/oauth/token"));
        Assert.Equal(0, client.State.CallCount("/v1/messages"));
    }

    [Fact]
    public async Task FormBody_IsAcceptedAndRefreshesRotate()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        using var form = new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", "r1")]);
        using HttpResponseMessage first = await client.Http.PostAsync("/oauth/token", form, TestContext.Current.CancellationToken);
        using HttpResponseMessage second = await client.PostAsync("/oauth/token", """{"grant_type":"refresh_token","refresh_token":"r1"}""", bearer: null);

        using JsonDocument a = JsonDocument.Parse(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using JsonDocument b = JsonDocument.Parse(await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.NotEqual(a.RootElement.GetProperty("access_token").GetString(), b.RootElement.GetProperty("access_token").GetString());
        Assert.Equal(2, client.State.CallCount("/oauth/token"));
    }

    [Theory]
    [InlineData("""{"refresh_token":"x"}""", "invalid_request")]
    [InlineData("""{"grant_type":"refresh_token"}""", "invalid_grant")]
    [InlineData("""{"grant_type":"password","refresh_token":"x"}""", "unsupported_grant_type")]
    public async Task BadGrant_Returns400(string body, string error)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        using HttpResponseMessage response = await client.PostAsync("/oauth/token", body, bearer: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(error, json.RootElement.GetProperty("error").GetString());
    }
}
