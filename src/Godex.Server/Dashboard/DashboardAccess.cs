using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Dashboard;

/// <summary>
/// What the dashboard's session cookie is worth: admin access for the admin API, with the CSRF defences a cookie
/// needs. A mutating call (anything but GET/HEAD) must also carry the session's CSRF token in
/// <see cref="CsrfHeader"/> and come from this origin (its <c>Origin</c> header names this scheme, host and port);
/// the cookie itself is <c>SameSite=Strict</c>, so other sites' requests do not carry it at all.
/// </summary>
internal static class DashboardAccess
{
    public const string CookieName = "godex_session";

    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The live session of the request's cookie, when the dashboard is on.</summary>
    public static DashboardSession? SessionOf(HttpContext context) =>
        context.RequestServices.GetService<DashboardSessions>() is { } sessions && context.Request.Cookies[CookieName] is { Length: > 0 } id
            ? sessions.Find(id)
            : null;

    /// <summary>True when the request may use the admin API as the dashboard's logged-in operator.</summary>
    public static bool AuthorizesAdmin(HttpContext context)
    {
        DashboardSession? session = SessionOf(context);
        if (session is null)
        {
            return false;
        }

        string method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            return true;
        }

        return IsSameOrigin(context.Request) && DashboardSessions.CsrfMatches(session, context.Request.Headers[CsrfHeader].ToString());
    }

    /// <summary>
    /// True when the request's <c>Origin</c> is this server as the browser reached it. A browser sends Origin on every
    /// POST (fetch and forms alike), so a missing one is refused too.
    /// </summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        string origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && string.Equals(origin, request.Scheme + "://" + request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
