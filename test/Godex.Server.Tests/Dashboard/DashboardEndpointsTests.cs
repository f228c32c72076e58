using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Dashboard;

/// <summary>
/// <c>/ui/</c> on a real Kestrel: off without an admin key; a login with the admin key gives an HttpOnly,
/// SameSite=Strict session cookie; the cookie is admin access to the admin API only with the session's CSRF token
/// and this origin on mutating calls; the assets are embedded, compressed and revalidated by ETag.
/// </summary>
public sealed partial class DashboardEndpointsTests : IAsyncLifetime
{
    private const string AdminKey = "admin-secret-for-dashboard-tests";
    private const string StaticKey = "static-client-key-for-dashboard-0123";
    private GodexAppHarness _godex = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = AdminKey;
            o.Proxy.ApiKey = StaticKey;
        });
        // Cookies and redirects by hand: the test reads what the server sets.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _godex.App.BaseUrl };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _godex.DisposeAsync();
    }

    private string Origin => _godex.App.BaseUrl.GetLeftPart(UriPartial.Authority);

    private async Task<HttpResponseMessage> LoginAsync(string key, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/login") { Content = new FormUrlEncodedContent([new("key", key)]) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await _http.SendAsync(request, Ct);
    }

    /// <summary>Logs in; the session cookie's value and the CSRF token of the pages.</summary>
    private async Task<(string Cookie, string Csrf)> SessionAsync()
    {
        using HttpResponseMessage login = await LoginAsync(AdminKey, Origin);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        string cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var page = new HttpRequestMessage(HttpMethod.Get, "/ui/keys");
        page.Headers.Add("Cookie", cookie);
        using HttpResponseMessage response = await _http.SendAsync(page, Ct);
        string html = await response.Content.ReadAsStringAsync(Ct);
        return (cookie, CsrfMeta().Match(html).Groups[1].Value);
    }

    private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, string? cookie, string? csrf = null, string? origin = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (csrf is not null)
        {
            request.Headers.Add("X-CSRF-Token", csrf);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await _http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task WithoutAnAdminKey_TheDashboardIs404()
    {
        await using GodexAppHarness plain = await GodexAppHarness.StartAsync(o => o.Proxy.Simulator = "on");
        foreach (string path in new[] { "/ui", "/ui/", "/ui/login", "/ui/overview", "/ui/assets/app.js" })
        {
            using HttpResponseMessage response = await plain.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using HttpResponseMessage login = await plain.Http.PostAsync("/ui/login", new FormUrlEncodedContent([new("key", "")]), Ct);
        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
    }

    [Fact]
    public async Task Login_WithAWrongKey_Is401_WithoutACookie()
    {
        using HttpResponseMessage response = await LoginAsync("not-the-admin-key", Origin);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("not the admin key", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("null")]
    [InlineData("http://evil.example")]
    public async Task Login_FromAnotherOrigin_Is403_EvenWithTheRightKey(string? origin)
    {
        using HttpResponseMessage response = await LoginAsync(AdminKey, origin);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Login_AfterFiveWrongKeys_Is429WithRetryAfter_WhileAnotherAddressStillLogsIn()
    {
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage wrong = await LoginAsync("not-the-admin-key", Origin);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Past the limit even the right key waits: otherwise the limit would bound nothing.
        using HttpResponseMessage blocked = await LoginAsync(AdminKey, Origin);
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        int seconds = (int)blocked.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(seconds, 1, 60);
        Assert.Contains("Too many wrong keys", await blocked.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(blocked.Headers.Contains("Set-Cookie"));

        // The operator on another address (127.0.0.2 reaches the same loopback listener) is not blocked.
        using var other = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = _godex.App.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/login") { Content = new FormUrlEncodedContent([new("key", AdminKey)]) };
        request.Headers.Add("Origin", Origin);
        using HttpResponseMessage operatorLogin = await other.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.SeeOther, operatorLogin.StatusCode);
        Assert.StartsWith("godex_session=", operatorLogin.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_SetsAnHttpOnlySameSiteStrictCookie_AndThePagesCarryTheSecurityHeaders()
    {
        using HttpResponseMessage login = await LoginAsync(AdminKey, Origin);

        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal("/ui/overview", login.Headers.Location?.ToString());
        string cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith("godex_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain HTTP: Secure only over HTTPS
        Assert.DoesNotContain(AdminKey, cookie, StringComparison.Ordinal);

        (string session, string csrf) = await SessionAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/overview");
        request.Headers.Add("Cookie", session);
        using HttpResponseMessage page = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        string html = await page.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal); // no inline script
        Assert.Contains(csrf, html, StringComparison.Ordinal);
        Assert.True(csrf.Length >= 43);
    }

    [Theory]
    [InlineData("/ui/overview")]
    [InlineData("/ui/keys")]
    [InlineData("/ui/usage")]
    [InlineData("/ui/live")]
    [InlineData("/ui/config")]
    [InlineData("/ui")]
    public async Task Pages_WithoutASession_RedirectToTheLogin(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "godex_session=forged");
        using HttpResponseMessage response = await _http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith("/ui/", response.Headers.Location?.ToString(), StringComparison.Ordinal);
        if (path != "/ui")
        {
            Assert.Equal("/ui/login", response.Headers.Location?.ToString());
        }
    }

    [Fact]
    public async Task TheCookie_ReadsTheAdminApi_ButChangesNothingWithoutTheCsrfTokenAndThisOrigin()
    {
        (string cookie, string csrf) = await SessionAsync();

        using (HttpResponseMessage list = await AdminAsync(HttpMethod.Get, "/admin/keys", cookie))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        using (HttpResponseMessage noToken = await AdminAsync(HttpMethod.Post, "/admin/keys", cookie, origin: Origin, body: "{\"label\":\"a\"}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, noToken.StatusCode);
        }

        using (HttpResponseMessage wrongToken = await AdminAsync(HttpMethod.Post, "/admin/keys", cookie, csrf + "x", Origin, "{\"label\":\"a\"}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrongToken.StatusCode);
        }

        using (HttpResponseMessage noOrigin = await AdminAsync(HttpMethod.Post, "/admin/keys", cookie, csrf, body: "{\"label\":\"a\"}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, noOrigin.StatusCode);
        }

        using (HttpResponseMessage otherOrigin = await AdminAsync(HttpMethod.Post, "/admin/keys", cookie, csrf, "http://evil.example", "{\"label\":\"a\"}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherOrigin.StatusCode);
        }

        using (HttpResponseMessage tokenWithoutCookie = await AdminAsync(HttpMethod.Post, "/admin/keys", null, csrf, Origin, "{\"label\":\"a\"}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, tokenWithoutCookie.StatusCode);
        }

        using (HttpResponseMessage none = await AdminAsync(HttpMethod.Get, "/admin/keys", cookie))
        {
            Assert.Equal(0, JsonDocument.Parse(await none.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("keys").GetArrayLength());
        }

        using HttpResponseMessage created = await AdminAsync(HttpMethod.Post, "/admin/keys", cookie, csrf, Origin, "{\"label\":\"from-ui\",\"budget_usd\":\"5\",\"budget_window\":\"30d\"}");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement key = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("5.000000", key.GetProperty("budget_usd").GetString());
        Assert.Equal("30d", key.GetProperty("budget_window").GetString());
    }

    [Fact]
    public async Task AnotherSessionsCsrfToken_IsRefused()
    {
        (string cookieA, _) = await SessionAsync();
        (_, string csrfB) = await SessionAsync();

        using HttpResponseMessage response = await AdminAsync(HttpMethod.Post, "/admin/keys", cookieA, csrfB, Origin, "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        (string cookie, string csrf) = await SessionAsync();
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/ui/logout") { Content = new FormUrlEncodedContent([new("csrf", csrf)]) };
        logout.Headers.Add("Cookie", cookie);
        logout.Headers.Add("Origin", Origin);
        using HttpResponseMessage response = await _http.SendAsync(logout, Ct);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);

        using HttpResponseMessage after = await AdminAsync(HttpMethod.Get, "/admin/keys", cookie);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Assets_AreEmbedded_CompressedUnder300KB_AndRevalidatedByETag()
    {
        long compressed = 0;
        foreach ((string name, string type) in new[] { ("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/assets/" + name);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("br"));
            using HttpResponseMessage response = await _http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith(type, response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            Assert.Equal("br", response.Content.Headers.ContentEncoding.Single());
            byte[] body = await response.Content.ReadAsByteArrayAsync(Ct);
            compressed += body.Length;
            using (var brotli = new BrotliStream(new MemoryStream(body), CompressionMode.Decompress))
            using (var plain = new MemoryStream())
            {
                await brotli.CopyToAsync(plain, Ct);
                Assert.True(plain.Length > body.Length || name == "icon.svg");
            }

            EntityTagHeaderValue etag = response.Headers.ETag!;
            using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/assets/" + name);
            again.Headers.IfNoneMatch.Add(etag);
            using HttpResponseMessage notModified = await _http.SendAsync(again, Ct);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        Assert.True(compressed < 300 * 1024, $"the dashboard's bundle is {compressed} bytes compressed");

        using var gzip = new HttpRequestMessage(HttpMethod.Get, "/ui/assets/app.js");
        gzip.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using HttpResponseMessage gzipped = await _http.SendAsync(gzip, Ct);
        Assert.Equal("gzip", gzipped.Content.Headers.ContentEncoding.Single());
        using HttpResponseMessage missing = await _http.GetAsync("/ui/assets/nope.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\">")]
    private static partial Regex CsrfMeta();
}
