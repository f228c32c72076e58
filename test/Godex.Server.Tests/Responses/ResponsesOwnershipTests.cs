using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Tests.Responses;

/// <summary>
/// Stored responses belong to the key that created them (issue 14, security item 2): another key that learns an id
/// gets the same 404 as for an id that never existed, on GET, DELETE and <c>previous_response_id</c>.
/// </summary>
public sealed class ResponsesOwnershipTests
{
    private const string StaticKey = "static-secret-for-tests";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> AddKeyAsync(GodexAppHarness godex, string label)
    {
        IssuedClientKey issued = await godex.App.Services.GetRequiredService<IKeyStore>().CreateAsync(new NewClientKey { Label = label }, Ct);
        await godex.App.Services.GetRequiredService<KeyCache>().ReloadAsync(Ct);
        return issued.Secret;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(GodexAppHarness godex, HttpMethod method, string path, string? key, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using HttpResponseMessage response = await godex.Http.SendAsync(request, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<string> CreateAsync(GodexAppHarness godex, string? key, string model)
    {
        (HttpStatusCode status, JsonElement body) = await SendAsync(godex, HttpMethod.Post, "/v1/responses", key, $$"""{"model":"{{model}}","input":"remember the word heron"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("id").GetString()!;
    }

    private static async Task AssertUnknownToAsync(GodexAppHarness godex, string id, string? key, string model)
    {
        (HttpStatusCode get, JsonElement getBody) = await SendAsync(godex, HttpMethod.Get, "/v1/responses/" + id, key);
        Assert.Equal(HttpStatusCode.NotFound, get);
        Assert.Equal($"Response with id '{id}' not found.", getBody.GetProperty("error").GetProperty("message").GetString());

        (HttpStatusCode delete, _) = await SendAsync(godex, HttpMethod.Delete, "/v1/responses/" + id, key);
        Assert.Equal(HttpStatusCode.NotFound, delete);

        (HttpStatusCode chained, JsonElement chainedBody) = await SendAsync(godex, HttpMethod.Post, "/v1/responses", key, $$"""{"model":"{{model}}","previous_response_id":"{{id}}","input":"which word?"}""");
        Assert.Equal(HttpStatusCode.NotFound, chained);
        Assert.Equal("previous_response_not_found", chainedBody.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task StoredResponse_OtherKeys_Get404_OwnerKeepsIt(string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.ApiKey = StaticKey);
        string alice = await AddKeyAsync(godex, "alice");
        string bob = await AddKeyAsync(godex, "bob");
        string id = await CreateAsync(godex, alice, model);

        await AssertUnknownToAsync(godex, id, bob, model);
        await AssertUnknownToAsync(godex, id, StaticKey, model);

        // Nothing the others tried touched it: the owner reads it, continues it, then deletes it.
        (HttpStatusCode get, _) = await SendAsync(godex, HttpMethod.Get, "/v1/responses/" + id, alice);
        Assert.Equal(HttpStatusCode.OK, get);
        (HttpStatusCode chained, JsonElement next) = await SendAsync(godex, HttpMethod.Post, "/v1/responses", alice, $$"""{"model":"{{model}}","previous_response_id":"{{id}}","input":"which word?"}""");
        Assert.Equal(HttpStatusCode.OK, chained);
        Assert.Equal(id, next.GetProperty("previous_response_id").GetString());
        (HttpStatusCode delete, _) = await SendAsync(godex, HttpMethod.Delete, "/v1/responses/" + id, alice);
        Assert.Equal(HttpStatusCode.OK, delete);
    }

    [Fact]
    public async Task StoredResponse_OfStaticKey_UnknownToStoreKeysAndAnonymous()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.ApiKey = StaticKey;
            o.Proxy.AllowAnyKey = true; // anonymous callers are let in: they still must not see the static key's responses
        });
        string carol = await AddKeyAsync(godex, "carol");
        string id = await CreateAsync(godex, StaticKey, "gpt-5.2-codex");

        await AssertUnknownToAsync(godex, id, carol, "gpt-5.2-codex");
        await AssertUnknownToAsync(godex, id, null, "gpt-5.2-codex");
        (HttpStatusCode get, _) = await SendAsync(godex, HttpMethod.Get, "/v1/responses/" + id, StaticKey);
        Assert.Equal(HttpStatusCode.OK, get);
    }

    [Fact]
    public async Task StoredResponse_WithoutDatabase_StillBoundToItsKey()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Database = "off"; // the in-memory store
            o.Proxy.ApiKey = StaticKey;
            o.Proxy.AllowAnyKey = true;
        });
        string id = await CreateAsync(godex, StaticKey, "gpt-5.2-codex");

        await AssertUnknownToAsync(godex, id, null, "gpt-5.2-codex");
        (HttpStatusCode get, _) = await SendAsync(godex, HttpMethod.Get, "/v1/responses/" + id, StaticKey);
        Assert.Equal(HttpStatusCode.OK, get);
    }
}
