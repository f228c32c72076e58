using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Hostile;

/// <summary>The admin API's limits (issue 14, item 13): a body limit, capped labels and patterns, 400s for wrong kinds.</summary>
public sealed class AdminLimitsTests
{
    private const string AdminKey = "admin-secret-for-tests";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string Message)> CreateAsync(GodexAppHarness godex, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/keys") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        JsonElement json = JsonDocument.Parse(text).RootElement;
        return (response.StatusCode, json.TryGetProperty("error", out JsonElement error) ? error.GetProperty("message").GetString()! : "");
    }

    [Theory]
    [InlineData("""{"label":"LONG25MB"}""", HttpStatusCode.RequestEntityTooLarge, "at most 65536 bytes")]
    [InlineData("""{"label":"LONG10KB"}""", HttpStatusCode.BadRequest, "label: at most 256 characters")]
    [InlineData("""{"label":5}""", HttpStatusCode.BadRequest, "label must be a string")]
    [InlineData("""{"label":"a\ud800"}""", HttpStatusCode.BadRequest, "lone UTF-16 surrogate")]
    [InlineData("""{"models":[1,2]}""", HttpStatusCode.BadRequest, "models must be an array of model names or patterns")]
    [InlineData("""{"models":"gpt-*"}""", HttpStatusCode.BadRequest, "models must be an array")]
    [InlineData("""{"key":12345}""", HttpStatusCode.BadRequest, "key must be a string")]
    [InlineData("""{"expires_in":-5}""", HttpStatusCode.BadRequest, "expires_in must be a positive duration")]
    [InlineData("""{"expires_in":true}""", HttpStatusCode.BadRequest, "expires_in must be a duration")]
    [InlineData("""{"burst":1e400}""", HttpStatusCode.BadRequest, "out of range")]
    [InlineData("""[1,2]""", HttpStatusCode.BadRequest, "must be a JSON object")]
    public async Task CreateKey_HostileBodies_Are4xxNamingTheProblem(string body, HttpStatusCode status, string named)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.AdminKey = AdminKey);
        body = body.Replace("LONG25MB", new string('l', 25 * 1024 * 1024), StringComparison.Ordinal)
            .Replace("LONG10KB", new string('l', 10_000), StringComparison.Ordinal);

        (HttpStatusCode actual, string message) = await CreateAsync(godex, body);

        Assert.Equal(status, actual);
        Assert.Contains(named, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_OversizedChunkedBody_StillArriving_Gets413NotAReset()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.AdminKey = AdminKey);
        var content = new StreamContent(new TricklingStream(pieces: 12, pieceSize: 16 * 1024, TimeSpan.FromMilliseconds(25)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/keys") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 65536 bytes", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_OrdinaryBody_StillWorks()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.AdminKey = AdminKey);

        (HttpStatusCode status, _) = await CreateAsync(godex, """{"label":"ci","rate":"60/m","models":["gpt-*"],"expires_in":"24h"}""");

        Assert.Equal(HttpStatusCode.Created, status);
    }
}
