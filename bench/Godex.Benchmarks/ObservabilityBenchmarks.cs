using BenchmarkDotNet.Attributes;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Server.Access;
using Godex.Server.Metering;
using Godex.Server.Observability;
using Godex.Server.Observability.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Godex.Benchmarks;

/// <summary>
/// What the operator's view adds to one request at the hook (<see cref="ClientKeyMiddleware"/> calling
/// <see cref="RequestTelemetry"/>): <c>none</c> is the middleware without telemetry (as before issue 18), <c>off</c>
/// with telemetry registered and every observer off (the default), <c>metrics</c> with metrics on and an
/// OpenTelemetry SDK reader listening (godex sums its counters itself; the SDK aggregates the two latency histograms;
/// the exporter's work happens at scrape time, not here).
/// </summary>
[MemoryDiagnoser]
public class ObservabilityBenchmarks : IDisposable
{
    private ServiceProvider _services = null!;
    private MeterProvider? _meterProvider;
    private ClientKeyMiddleware _middleware = null!;

    [Params("none", "off", "metrics")]
    public string Mode { get; set; } = "off";

    [GlobalSetup]
    public void Setup()
    {
        var options = new GodexOptions();
        options.Proxy.Metrics.Enabled = Mode == "metrics";
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        if (Mode != "none")
        {
            GodexMetrics? metrics = Mode == "metrics" ? new GodexMetrics(null) : null;
            services.AddSingleton(new RequestTelemetry(options.Proxy, metrics, null, new LiveEventFeed(), NullLoggerFactory.Instance));
            if (metrics is not null)
            {
                _meterProvider = Sdk.CreateMeterProviderBuilder()
                    .AddMeter(GodexMetrics.MeterName)
                    .AddReader(new BaseExportingMetricReader(new NullExporter()))
                    .Build();
            }
        }

        _services = services.BuildServiceProvider();
        var usage = new Usage { InputTokens = 120, OutputTokens = 40, CachedInputTokens = 64 };
        _middleware = new ClientKeyMiddleware(
            context =>
            {
                RequestUsage.Report(context, "gpt-5.2-codex", "codex", usage);
                context.Response.StatusCode = 200;
                return Task.CompletedTask;
            },
            options,
            NullLogger<ClientKeyMiddleware>.Instance,
            _services);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meterProvider?.Dispose();
        _services.Dispose();
    }

    public void Dispose()
    {
        _meterProvider?.Dispose();
        _services?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One anonymous request through the middleware, the endpoint a no-op that reports usage.</summary>
    [Benchmark]
    public Task Request()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        return _middleware.InvokeAsync(context);
    }

    private sealed class NullExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
