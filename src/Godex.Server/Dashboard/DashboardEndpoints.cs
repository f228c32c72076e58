using System.Globalization;
using System.Net;
using System.Text;
using Godex.Core.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Dashboard;

/// <summary>
/// The web dashboard under <c>/ui/</c> (docs/dashboard.md): server-rendered page shells and one script and one style
/// sheet embedded in the binary; every datum and every change goes through the admin API (<c>/admin/*</c>), which
/// takes the session cookie plus its CSRF token as admin access (<see cref="DashboardAccess"/>). Without
/// <c>proxy.admin_key</c> the whole of <c>/ui/</c> is a 404, like the admin API over TCP.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>The pages, in the menu's order: path segment and title.</summary>
    internal static readonly (string Page, string Title)[] Pages =
    [
        ("overview", "Overview"),
        ("keys", "Keys"),
        ("usage", "Usage"),
        ("live", "Live"),
        ("accounts", "Accounts"),
        ("config", "Config"),
    ];

    /// <summary>
    /// <c>default-src 'self'</c> (no inline script or style, no other origin), no framing, no base or form target
    /// elsewhere. The charts are SVG built with DOM calls, which the policy allows.
    /// </summary>
    private const string ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // "/ui" and "/ui/" alike (routing ignores a trailing slash).
        endpoints.MapGet("/ui", (RequestDelegate)(c => Gate(c, static c => Redirect(c, "/ui/overview"))));
        endpoints.MapGet("/ui/login", (RequestDelegate)(c => Gate(c, static c => LoginPageAsync(c, StatusCodes.Status200OK, null))));
        endpoints.MapPost("/ui/login", (RequestDelegate)(c => Gate(c, LoginAsync)));
        endpoints.MapPost("/ui/logout", (RequestDelegate)(c => Gate(c, LogoutAsync)));
        endpoints.MapGet("/ui/assets/{name}", (RequestDelegate)(c => Gate(c, AssetAsync)));
        endpoints.MapGet("/ui/{page}", (RequestDelegate)(c => Gate(c, PageAsync)));
        endpoints.MapFallback("/ui/{**path}", (RequestDelegate)(c => Gate(c, NotFoundAsync)));
        return endpoints;
    }

    /// <summary>The security headers of every <c>/ui/</c> answer, then the handler, or a 404 when the dashboard is off.</summary>
    private static Task Gate(HttpContext context, Func<HttpContext, Task> handler)
    {
        IHeaderDictionary headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" on its own form posts and
        // fetches, and the CSRF check needs the real origin.
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return context.RequestServices.GetService<DashboardSessions>() is null ? NotFoundAsync(context) : handler(context);
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("not found", context.RequestAborted);
    }

    private static Task Redirect(HttpContext context, string to)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = to;
        context.Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }

    private static async Task LoginAsync(HttpContext context)
    {
        // A login form posted from another site would log the victim into the attacker's session at best; the
        // Origin check refuses it before the key is even read.
        if (!DashboardAccess.IsSameOrigin(context.Request) || !context.Request.HasFormContentType)
        {
            await LoginPageAsync(context, StatusCodes.Status403Forbidden, "This login did not come from this page. Reload it and try again.");
            return;
        }

        DashboardSessions sessions = context.RequestServices.GetRequiredService<DashboardSessions>();
        IPAddress? address = context.Connection.RemoteIpAddress;
        // Checked before the key is read: past the limit even the right key waits, or the limit would bound nothing.
        if (sessions.Throttle.RetryAfter(address) is { } wait)
        {
            long seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await LoginPageAsync(context, StatusCodes.Status429TooManyRequests, $"Too many wrong keys from this address. Try again in {seconds} s.");
            return;
        }

        IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
        GodexOptions options = context.RequestServices.GetRequiredService<GodexOptions>();
        DashboardSession? session = sessions.Login(form["key"].ToString(), options.Proxy.AdminKey);
        if (session is null)
        {
            sessions.Throttle.Failed(address);
            await LoginPageAsync(context, StatusCodes.Status401Unauthorized, "That is not the admin key.");
            return;
        }

        sessions.Throttle.Succeeded(address);

        context.Response.Cookies.Append(DashboardAccess.CookieName, session.Id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = session.ExpiresAt,
        });
        await Redirect(context, "/ui/overview");
    }

    private static async Task LogoutAsync(HttpContext context)
    {
        DashboardSession? session = DashboardAccess.SessionOf(context);
        if (session is not null && DashboardAccess.IsSameOrigin(context.Request) && context.Request.HasFormContentType)
        {
            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (DashboardSessions.CsrfMatches(session, form["csrf"].ToString()))
            {
                context.RequestServices.GetRequiredService<DashboardSessions>().Logout(session.Id);
                context.Response.Cookies.Delete(DashboardAccess.CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, HttpOnly = true });
            }
        }

        await Redirect(context, "/ui/login");
    }

    private static Task PageAsync(HttpContext context)
    {
        string page = context.Request.RouteValues["page"] as string ?? "";
        int index = Array.FindIndex(Pages, p => p.Page == page);
        if (index < 0)
        {
            return NotFoundAsync(context);
        }

        if (DashboardAccess.SessionOf(context) is not { } session)
        {
            return Redirect(context, "/ui/login");
        }

        var html = new StringBuilder(2048);
        Head(context, html, Pages[index].Title, session.CsrfToken);
        html.Append("<body data-page=\"").Append(page).Append("\">\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"top\">\n<a class=\"brand\" href=\"/ui/overview\">godex</a>\n<nav aria-label=\"Dashboard\"><ul>");
        foreach ((string p, string title) in Pages)
        {
            html.Append("<li><a href=\"/ui/").Append(p).Append('"').Append(p == page ? " aria-current=\"page\"" : "").Append('>').Append(title).Append("</a></li>");
        }

        html.Append("</ul></nav>\n<div class=\"tools\"><button type=\"button\" class=\"ghost\" id=\"theme-toggle\" aria-pressed=\"false\">Dark theme</button>");
        html.Append("<form method=\"post\" action=\"/ui/logout\"><input type=\"hidden\" name=\"csrf\" value=\"").Append(Encode(session.CsrfToken)).Append("\"><button type=\"submit\" class=\"ghost\">Log out</button></form></div>\n</header>\n");
        html.Append("<main id=\"main\" tabindex=\"-1\">\n<h1>").Append(Pages[index].Title).Append("</h1>\n<div id=\"page\" aria-live=\"off\"></div>\n</main>\n</body>\n</html>\n");
        return WriteHtmlAsync(context, StatusCodes.Status200OK, html.ToString());
    }

    private static Task LoginPageAsync(HttpContext context, int status, string? error)
    {
        var html = new StringBuilder(1024);
        Head(context, html, "Log in", csrf: null);
        html.Append("<body data-page=\"login\">\n<main id=\"main\" class=\"login\">\n<h1>godex</h1>\n<form method=\"post\" action=\"/ui/login\" class=\"card\">\n");
        if (error is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\">").Append(Encode(error)).Append("</p>\n");
        }

        html.Append("<label for=\"key\">Admin key</label>\n<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required autofocus>\n");
        html.Append("<button type=\"submit\">Log in</button>\n<p class=\"hint\">The value of <code>proxy.admin_key</code> (<code>GODEX_PROXY_ADMIN_KEY</code>).</p>\n</form>\n</main>\n</body>\n</html>\n");
        return WriteHtmlAsync(context, status, html.ToString());
    }

    private static void Head(HttpContext context, StringBuilder html, string title, string? csrf)
    {
        DashboardAssets assets = context.RequestServices.GetRequiredService<DashboardAssets>();
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (csrf is not null)
        {
            html.Append("<meta name=\"csrf-token\" content=\"").Append(Encode(csrf)).Append("\">\n");
        }

        html.Append("<title>").Append(Encode(title)).Append(" · godex</title>\n");
        html.Append("<link rel=\"icon\" href=\"").Append(assets.Url("icon.svg")).Append("\">\n");
        html.Append("<link rel=\"stylesheet\" href=\"").Append(assets.Url("app.css")).Append("\">\n");
        html.Append("<script type=\"module\" src=\"").Append(assets.Url("app.js")).Append("\"></script>\n</head>\n");
    }

    private static Task WriteHtmlAsync(HttpContext context, int status, string html)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        // The page holds the session's CSRF token: never kept by a cache.
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync(html, context.RequestAborted);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>An embedded asset: revalidated by ETag (the pages link it with its hash, so a new build is new URL), Brotli or gzip when accepted.</summary>
    private static async Task AssetAsync(HttpContext context)
    {
        DashboardAssets assets = context.RequestServices.GetRequiredService<DashboardAssets>();
        if (assets.Find(context.Request.RouteValues["name"] as string ?? "") is not { } asset)
        {
            await NotFoundAsync(context);
            return;
        }

        HttpResponse response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.Vary = "Accept-Encoding";
        response.Headers.CacheControl = context.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "no-cache";
        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        string accepted = context.Request.Headers.AcceptEncoding.ToString();
        byte[] body = asset.Identity;
        if (accepted.Contains("br", StringComparison.OrdinalIgnoreCase))
        {
            body = asset.Brotli;
            response.Headers.ContentEncoding = "br";
        }
        else if (accepted.Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = asset.Gzip;
            response.Headers.ContentEncoding = "gzip";
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }
}
