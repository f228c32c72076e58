using System.Runtime.CompilerServices;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Godex.Server.Observability.Metrics;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format, through the OpenTelemetry .NET SDK and its Prometheus exporter
/// (docs/observability.md: why this library, what it costs). Only with <c>proxy.metrics.enabled</c>; optionally on
/// its own listener (<c>proxy.metrics.listen</c>) and behind <c>proxy.admin_key</c>.
/// </summary>
internal static class MetricsSetup
{
    public const string Path = "/metrics";

    public static void Add(IServiceCollection services, OpenTelemetryBuilder telemetry)
    {
        services.AddSingleton(sp => new GodexMetrics(() => (sp.GetService<IUsageRecorder>() as UsageLedgerWriter)?.Pending ?? 0));
        // The senders count upstream failures through this (BackendFactory hands it to them), not per request.
        services.AddSingleton<IUpstreamObserver>(sp => new MetricsUpstreamObserver(sp.GetRequiredService<GodexMetrics>()));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(GodexMetrics.MeterName);
            foreach ((string instrument, int maxSeries) in GodexMetrics.Counters)
            {
                // godex caps these itself (CounterCells); the SDK's cap, with headroom for its reserved points, must not fold them again.
                metrics.AddView(instrument, new MetricStreamConfiguration { CardinalityLimit = maxSeries + 2 });
            }

            metrics.AddPrometheusExporter(prometheus =>
            {
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0; // a scrape sees every request that ended before it
                prometheus.ScopeInfoEnabled = false;
                prometheus.TargetInfoEnabled = false;
            });
        });
    }

    /// <param name="app">The app.</param>
    /// <param name="metrics">The options.</param>
    /// <param name="adminKey">Required of scrapers when <see cref="MetricsOptions.RequireAdminKey"/>.</param>
    /// <param name="metricsPort">The port of the separate metrics listener (filled in once bound), or null when /metrics is on the proxy's own.</param>
    public static void Map(WebApplication app, MetricsOptions metrics, string? adminKey, StrongBox<int>? metricsPort)
    {
        if (metricsPort is not null)
        {
            // The metrics listener serves /metrics and nothing else; the proxy's listener does not serve /metrics.
            app.Use((context, next) =>
            {
                bool onMetricsPort = context.Connection.LocalPort == Volatile.Read(ref metricsPort.Value) && context.Connection.LocalIpAddress is not null;
                bool isMetrics = context.Request.Path.Equals(Path, StringComparison.Ordinal);
                if (onMetricsPort != isMetrics)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: metrics.RequireAdminKey ? branch => branch.Use((context, next) =>
        {
            string? bearer = context.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
            if (string.IsNullOrEmpty(adminKey) || bearer is null || !KeySecrets.SecretEquals(bearer, adminKey))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return JsonResponse.WriteAsync(context, StatusCodes.Status401Unauthorized, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("error"u8, "/metrics needs Authorization: Bearer <proxy.admin_key>");
                    writer.WriteEndObject();
                });
            }

            return next(context);
        }) : null, optionsName: null);
    }
}
