using System.Reflection;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godex.Server.Endpoints;

/// <summary><c>GET /health</c>: liveness plus the build version; open to everyone (no client key).</summary>
public static class HealthEndpoints
{
    private static readonly string s_version =
        typeof(HealthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(HealthEndpoints).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The informational version reported by <c>/health</c>.</summary>
    public static string Version => s_version;

    public static IEndpointConventionBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet("/health", (RequestDelegate)(context => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, "ok"u8);
            writer.WriteString("version"u8, s_version);
            writer.WriteEndObject();
        })));
    }
}
