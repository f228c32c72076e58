using Godex.Core;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godex.Server.Hosting;

/// <summary><c>GET /health</c>: liveness plus the build version; open to everyone (no client key).</summary>
public static class HealthEndpoints
{
    public static IEndpointConventionBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet("/health", (RequestDelegate)(context => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, "ok"u8);
            writer.WriteString("version"u8, GodexVersion.Current);
            writer.WriteEndObject();
        })));
    }
}
