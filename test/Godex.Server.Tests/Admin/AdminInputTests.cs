using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Tests.Admin;

/// <summary>
/// <c>POST /admin/keys</c> and <c>POST /admin/keys/{id}</c> take an object of known, well-typed fields; anything else
/// is a 400 naming the field, and no key is created. A brought-your-own secret is long enough and no other credential.
/// </summary>
public sealed class AdminInputTests : IAsyncLifetime
{
    private const string AdminKey = "admin-secret-for-tests";
    private const string StaticKey = "static-client-key-0123456789";
    private GodexAppHarness _godex = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = AdminKey;
            o.Proxy.ApiKey = StaticKey;
        });

    public async ValueTask DisposeAsync() => await _godex.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using HttpResponseMessage response = await _godex.Http.SendAsync(request, Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    private async Task<int> KeyCountAsync() => (await _godex.App.Services.GetRequiredService<IKeyStore>().ListAsync(Ct)).Count;

    [Theory]
    [InlineData("[]", "body")]
    [InlineData("[{\"label\":\"a\"}]", "body")]
    [InlineData("\"key\"", "body")]
    [InlineData("42", "body")]
    [InlineData("null", "body")]
    [InlineData("{\"burst\":-1}", "burst")]
    [InlineData("{\"burst\":0}", "burst")]
    [InlineData("{\"burst\":\"5\"}", "burst")]
    [InlineData("{\"quota_tokens\":-5}", "quota_tokens")]
    [InlineData("{\"max_concurrent\":-1}", "max_concurrent")]
    [InlineData("{\"models\":\"claude-*\"}", "models")]
    [InlineData("{\"models\":[1]}", "models")]
    [InlineData("{\"models\":[\"\"]}", "models")]
    [InlineData("{\"label\":7}", "label")]
    [InlineData("{\"rate\":\"fast\"}", "rate")]
    [InlineData("{\"expires_in\":\"-1h\"}", "expires_in")]
    [InlineData("{\"expires_in\":true}", "expires_in")]
    [InlineData("{\"quota\":5}", "quota")]
    [InlineData("{\"key\":\"\"}", "key")]
    [InlineData("{\"key\":\"abc\"}", "key")]
    [InlineData("{\"key\":\"has a space in it, 16+\"}", "key")]
    [InlineData("{\"key\":\"" + StaticKey + "\"}", "key")]
    [InlineData("{\"key\":\"" + AdminKey + "\"}", "key")]
    [InlineData("{\"key\":5}", "key")]
    public async Task Create_BadBody_Is400NamingTheField_AndCreatesNothing(string body, string field)
    {
        (HttpStatusCode status, JsonElement json) = await PostAsync("admin/keys", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        JsonElement error = json.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Equal(0, await KeyCountAsync());
    }

    [Fact]
    public async Task Create_OwnSecretOfAnotherKey_Is400()
    {
        (HttpStatusCode first, _) = await PostAsync("admin/keys", """{"label":"a","key":"my-own-secret-0123456789"}""");
        (HttpStatusCode second, JsonElement json) = await PostAsync("admin/keys", """{"label":"b","key":"my-own-secret-0123456789"}""");

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.BadRequest, second);
        Assert.Equal("key", json.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(1, await KeyCountAsync());
    }

    [Fact]
    public async Task Create_NoBody_MakesAKey_AsTheOriginalsTokenMeterDoes()
    {
        (HttpStatusCode status, JsonElement json) = await PostAsync("admin/keys", null);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.StartsWith("gxk_", json.GetProperty("api_key").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ModelAliases_AreStoredExpanded()
    {
        (HttpStatusCode status, JsonElement json) = await PostAsync("admin/keys", """{"label":"m","models":["sonnet","gpt-*"]}""");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(["claude-sonnet-4-5", "gpt-*"], json.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    [Theory]
    [InlineData("[]", "body")]
    [InlineData("{\"burst\":-3}", "burst")]
    [InlineData("{\"models\":\"x\"}", "models")]
    [InlineData("{\"key\":\"a-new-secret-0123456789\"}", "key")]
    public async Task Update_BadBody_Is400NamingTheField(string body, string field)
    {
        (_, JsonElement created) = await PostAsync("admin/keys", """{"label":"u","burst":2}""");
        string id = created.GetProperty("key_id").GetString()!;

        (HttpStatusCode status, JsonElement json) = await PostAsync("admin/keys/" + id, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, json.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(2, (await _godex.App.Services.GetRequiredService<IKeyStore>().FindAsync(id, Ct))!.Burst);
    }
}
