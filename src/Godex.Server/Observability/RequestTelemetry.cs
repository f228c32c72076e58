using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Metering;
using Godex.Core;
using Godex.Server.Observability.Audit;
using Godex.Server.Metering;
using Godex.Server.Observability.Metrics;
using Godex.Server.Observability.Tracing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Observability;

/// <summary>
/// Everything that watches <c>/v1</c> requests, called twice per request by <c>Access.ClientKeyMiddleware</c>:
/// <see cref="Start"/> once the request is admitted and <see cref="FinishAsync"/> when it ended. Each observer is
/// optional (metrics, traces, the JSON request log, the audit files) and the live feed costs nothing without a
/// listener, so with everything off a request pays for two calls that test a few fields.
/// </summary>
internal sealed partial class RequestTelemetry
{
    private readonly GodexMetrics? _metrics;
    private readonly bool _tracing;
    private readonly bool _propagate;
    private readonly AuditLog? _audit;
    private readonly ILogger? _requestLog;

    public RequestTelemetry(ProxyOptions proxy, GodexMetrics? metrics, AuditLog? audit, LiveEventFeed feed, ILoggerFactory loggers)
    {
        _metrics = metrics;
        _tracing = proxy.Tracing.Enabled;
        _propagate = proxy.Tracing.Propagate;
        _audit = audit;
        Feed = feed;
        _requestLog = proxy.LogFormat == "json" ? loggers.CreateLogger("Godex.Requests") : null;
    }

    public LiveEventFeed Feed { get; }

    /// <summary>True when some observer wants this request's outcome (with everything off, a request pays for this test alone).</summary>
    public bool Active => WantsTiming;

    private bool WantsTiming => _metrics is not null || _requestLog is not null || _audit is not null || _tracing || Feed.HasListeners;

    /// <summary>A request was admitted: spans, timing and upstream observation start as configured.</summary>
    public void Start(HttpContext context, RequestUsage usage)
    {
        if (!WantsTiming)
        {
            return;
        }

        usage.Door = RequestOutcome.DoorOf(context.Request.Path.Value ?? "");
        if (_tracing)
        {
            usage.Activity = GodexTracing.StartRequest(context);
        }

        if (_audit?.CapturesRequestBody == true)
        {
            context.Request.EnableBuffering();
        }

        // Metrics alone need no observer of the request's own: the senders were given the application's
        // (MetricsUpstreamObserver). A trace or the upstream audit names the request, so they need one.
        if (usage.Activity is not null || _audit?.AuditsUpstream == true)
        {
            UpstreamObserver.Current = new RequestUpstreamObserver(context.TraceIdentifier, _metrics, usage.Activity is not null, _propagate, _audit);
        }
    }

    /// <summary>
    /// The response headers go out (told by <c>Access.ClientKeyMiddleware</c>'s one OnStarting callback, which stamped
    /// the time): the first byte, a stream's first event, held back until then by the responder.
    /// </summary>
    public void FirstByte(HttpContext context, RequestUsage usage)
    {
        if (WantsTiming && context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true)
        {
            usage.Streaming = true;
            _metrics?.StreamOpened(usage.Door ?? "other");
        }
    }

    /// <summary>The request ended (answered, refused or abandoned): every observer gets its outcome.</summary>
    public ValueTask FinishAsync(HttpContext context, RequestUsage usage, UsageRecord record)
    {
        if (!WantsTiming && usage.Activity is null)
        {
            return ValueTask.CompletedTask;
        }

        string door = usage.Door ?? RequestOutcome.DoorOf(record.Path);
        if (usage.Streaming)
        {
            _metrics?.StreamClosed(door);
        }

        var outcome = new RequestOutcome(
            record.Timestamp,
            record.RequestId,
            record.KeyId,
            door,
            context.Request.Method,
            record.Path,
            record.Model,
            record.Backend,
            record.Account,
            record.Status,
            usage.Streaming,
            usage.Final,
            record.CostMicros,
            record.TimeToFirstByte,
            record.Latency);
        _metrics?.RequestFinished(outcome);
        if (usage.Activity is { } activity)
        {
            GodexTracing.FinishRequest(activity, outcome);
        }

        if (_requestLog is not null)
        {
            Log.Request(_requestLog, outcome.RequestId, outcome.KeyId, outcome.Door, outcome.Path, outcome.Model, outcome.Backend, outcome.Account ?? "",
                outcome.Status, outcome.Stream, outcome.Usage.InputTokens, outcome.Usage.OutputTokens, outcome.Usage.CachedInputTokens,
                outcome.Usage.ReasoningTokens, Money.Usd(outcome.CostMicros), outcome.TimeToFirstByte is { } t ? Math.Round(t.TotalMilliseconds, 3) : null,
                Math.Round(outcome.Duration.TotalMilliseconds, 3));
        }

        Feed.Publish(outcome);
        return _audit is null ? ValueTask.CompletedTask : AuditAsync(context, outcome);
    }

    private async ValueTask AuditAsync(HttpContext context, RequestOutcome outcome)
    {
        ReadOnlyMemory<byte>? body = null;
        if (_audit!.CapturesRequestBody && context.Request.Body.CanSeek)
        {
            body = await ReadBodyAsync(context.Request);
        }

        _audit.RequestFinished(outcome, context.Request, body);
    }

    /// <summary>The request body again, from the buffer <see cref="HttpRequestRewindExtensions.EnableBuffering(HttpRequest)"/> kept.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            request.Body.Position = 0;
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, CancellationToken.None);
            return copy.ToArray();
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException or ObjectDisposedException)
        {
            return null; // the client went away mid-body: the line still has the metadata
        }
    }

    // Event ids 2200-2200; next free: 2201.
    private static partial class Log
    {
        [LoggerMessage(2200, LogLevel.Information,
            "request {RequestId} key={KeyId} door={Door} path={Path} model={Model} backend={Backend} account={Account} status={Status} stream={Stream} input_tokens={InputTokens} output_tokens={OutputTokens} cached_tokens={CachedTokens} reasoning_tokens={ReasoningTokens} cost_usd={CostUsd} ttfb_ms={TtfbMs} duration_ms={DurationMs}",
            EventName = "Request")]
        public static partial void Request(ILogger logger, string requestId, string keyId, string door, string path, string model, string backend, string account,
            int status, bool stream, long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens, string costUsd, double? ttfbMs, double durationMs);
    }
}
