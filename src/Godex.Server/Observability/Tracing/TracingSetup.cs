using Godex.Core.Configuration;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace Godex.Server.Observability.Tracing;

/// <summary>
/// OpenTelemetry traces over OTLP/HTTP (protobuf) to <c>proxy.tracing.endpoint</c>, with its headers and a
/// parent-based ratio sampler. Nothing of this exists unless <c>proxy.tracing.enabled</c>: no tracer provider, no
/// exporter, no listener on <see cref="GodexTracing.SourceName"/>.
/// </summary>
internal static class TracingSetup
{
    public static void Add(OpenTelemetryBuilder telemetry, TracingOptions tracing)
    {
        telemetry.WithTracing(traces => traces
            .AddSource(GodexTracing.SourceName)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)))
            .AddOtlpExporter(otlp =>
            {
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                otlp.Endpoint = TracesUri(tracing.Endpoint);
                if (tracing.Headers is { } headers)
                {
                    otlp.Headers = headers;
                }

                // Spans reach the collector within a second; the default (5 s) makes a short session lose its tail.
                otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
            }));
    }

    /// <summary>The OTLP/HTTP traces URL: <c>/v1/traces</c> on the collector unless the endpoint names a path.</summary>
    internal static Uri TracesUri(string endpoint)
    {
        var uri = new Uri(endpoint, UriKind.Absolute);
        return uri.AbsolutePath is "" or "/" ? new Uri(uri, "/v1/traces") : uri;
    }
}
