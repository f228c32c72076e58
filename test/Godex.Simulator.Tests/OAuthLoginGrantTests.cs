using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Godex.Simulator.Tests;

/// <summary>
/// The simulator's authorization-code grant is as strict as a real OAuth server for everything godex sends (RFC 6749
/// §4.1.3, RFC 7636 §4.6), so a login test that passes proves the client sent the right verifier, redirect and client.
/// </summary>
public sealed class OAuthLoginGrantTests
{
    private const string Verifier = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    private const string Redirect = "http://localhost:1455/auth/callback";

    [Fact]
    public async Task AuthorizationCode_TheRightVerifierRedirectAndClient_IsRedeemedOnce()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        string code = await AuthorizeAsync(client);

        using HttpResponseMessage first = await ExchangeAsync(client, code, Verifier, Redirect, "app");
        using HttpResponseMessage again = await ExchangeAsync(client, code, Verifier, Redirect, "app");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already used", await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz", Redirect, "app", "code_verifier")]
    [InlineData(Verifier, "http://localhost:1456/auth/callback", "app", "redirect_uri")]
    [InlineData(Verifier, Redirect, "another-app", "client_id")]
    public async Task AuthorizationCode_AnyMismatch_IsInvalidGrant_AndBurnsTheCode(string verifier, string redirect, string clientId, string named)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        string code = await AuthorizeAsync(client);

        using HttpResponseMessage refused = await ExchangeAsync(client, code, verifier, redirect, clientId);
        using HttpResponseMessage thenRight = await ExchangeAsync(client, code, Verifier, Redirect, "app");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("invalid_grant", body.RootElement.GetProperty("error").GetString());
        Assert.Contains(named, body.RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, thenRight.StatusCode);
    }

    [Fact]
    public async Task AuthorizationCode_WithoutClientOrRedirect_IsInvalidRequest()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();
        string code = await AuthorizeAsync(client);

        using var form = new FormUrlEncodedContent([new("grant_type", "authorization_code"), new("code", code), new("code_verifier", Verifier)]);
        using HttpResponseMessage response = await client.Http.PostAsync("/oauth/token", form, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static async Task<string> AuthorizeAsync(SimulatorTestClient client)
    {
        string challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = client.Host.BaseUrl };
        using HttpResponseMessage response = await http.GetAsync(
            $"/oauth/authorize?response_type=code&client_id=app&redirect_uri={Uri.EscapeDataString(Redirect)}&code_challenge={challenge}&code_challenge_method=S256&state=s1",
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        string query = response.Headers.Location!.Query;
        return Uri.UnescapeDataString(query.Split('&')[0]["?code=".Length..]);
    }

    private static Task<HttpResponseMessage> ExchangeAsync(SimulatorTestClient client, string code, string verifier, string redirect, string clientId)
    {
        var form = new FormUrlEncodedContent(
        [
            new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", redirect), new("client_id", clientId), new("code_verifier", verifier),
        ]);
        return client.Http.PostAsync("/oauth/token", form, TestContext.Current.CancellationToken);
    }
}
