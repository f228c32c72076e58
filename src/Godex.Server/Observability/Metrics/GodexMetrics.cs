using System.Diagnostics;
using System.Diagnostics.Metrics;
using Godex.Core;

namespace Godex.Server.Observability.Metrics;

/// <summary>
/// godex's instruments (meter <see cref="MeterName"/>), exported by <see cref="MetricsSetup"/> as Prometheus text.
/// Created only when <c>proxy.metrics.enabled</c>: with metrics off nothing here exists and no request pays for it.
/// The names below are the Prometheus ones (the exporter adds <c>_total</c>, and the unit to histograms).
/// <list type="table">
/// <item><term>godex_requests_total</term><description>door, backend, account, model, status</description></item>
/// <item><term>godex_request_duration_seconds</term><description>histogram: door, backend, model</description></item>
/// <item><term>godex_time_to_first_byte_seconds</term><description>histogram: door, backend, model</description></item>
/// <item><term>godex_tokens_total</term><description>backend, account, model, type = input|output|cached|reasoning</description></item>
/// <item><term>godex_cost_usd_micros_total</term><description>backend, account, model, key: list-price spend</description></item>
/// <item><term>godex_upstream_errors_total</term><description>backend, kind (connect, timeout, login, redirect, http_4xx, http_429, http_5xx)</description></item>
/// <item><term>godex_upstream_retries_total</term><description>backend, reason (connect or the status)</description></item>
/// <item><term>godex_upstream_failovers_total</term><description>backend, reason (account pools)</description></item>
/// <item><term>godex_open_streams</term><description>door: responses being streamed now</description></item>
/// <item><term>godex_ledger_queue_depth</term><description>usage rows waiting for the database</description></item>
/// <item><term>godex_ledger_write_seconds</term><description>histogram: one batch's write</description></item>
/// </list>
/// </summary>
internal sealed class GodexMetrics : IDisposable
{
    public const string MeterName = "Godex";

    // Seconds, from a cached answer (~ms) to a long agent turn (minutes).
    private static readonly double[] s_latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    // A batch is ~50 µs to a few ms; seconds means a stuck disk.
    private static readonly double[] s_writeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstByte;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _cost;
    private readonly Counter<long> _upstreamErrors;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _failovers;
    private readonly UpDownCounter<long> _openStreams;
    private readonly Histogram<double> _ledgerWrite;

    /// <param name="ledgerDepth">Rows queued for the ledger, read at each scrape; null without a database.</param>
    public GodexMetrics(Func<long>? ledgerDepth)
    {
        _meter = new Meter(MeterName, GodexVersion.Current);
        _requests = _meter.CreateCounter<long>("godex.requests", null, "Finished /v1 requests");
        _duration = _meter.CreateHistogram("godex.request.duration", "s", "From a request's arrival to its last byte", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _firstByte = _meter.CreateHistogram("godex.time_to_first_byte", "s", "From a request's arrival to its response headers (the first event of a stream)", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _tokens = _meter.CreateCounter<long>("godex.tokens", null, "Tokens by type: input (all prompt tokens), output (reasoning included), cached (prompt tokens read from cache), reasoning");
        _cost = _meter.CreateCounter<long>("godex.cost.usd_micros", null, "Spend at list price in micro-dollars (proxy.prices and the built-in table)");
        _upstreamErrors = _meter.CreateCounter<long>("godex.upstream.errors", null, "Upstream calls that failed, by kind");
        _retries = _meter.CreateCounter<long>("godex.upstream.retries", null, "Upstream attempts sent again before the first byte");
        _failovers = _meter.CreateCounter<long>("godex.upstream.failovers", null, "Requests moved to another account of a pool after a failure");
        _openStreams = _meter.CreateUpDownCounter<long>("godex.open_streams", null, "Responses being streamed to clients now");
        _ledgerWrite = _meter.CreateHistogram("godex.ledger.write", "s", "Time to write one batch of usage rows", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_writeBuckets });
        if (ledgerDepth is not null)
        {
            _meter.CreateObservableGauge("godex.ledger.queue_depth", ledgerDepth, null, "Usage rows waiting to be written");
        }
    }

    public void RequestFinished(RequestOutcome outcome)
    {
        string model = outcome.Model;
        string backend = outcome.Backend;
        string account = outcome.Account ?? "";
        var tags = new TagList
        {
            { "door", outcome.Door },
            { "backend", backend },
            { "account", account },
            { "model", model },
            { "status", StatusText(outcome.Status) },
        };
        _requests.Add(1, tags);

        var timing = new TagList { { "door", outcome.Door }, { "backend", backend }, { "model", model } };
        _duration.Record(outcome.Duration.TotalSeconds, timing);
        if (outcome.TimeToFirstByte is { } firstByte)
        {
            _firstByte.Record(firstByte.TotalSeconds, timing);
        }

        if (outcome.Usage.TotalTokens > 0)
        {
            AddTokens(outcome.Usage.InputTokens, "input", backend, account, model);
            AddTokens(outcome.Usage.OutputTokens, "output", backend, account, model);
            AddTokens(outcome.Usage.CachedInputTokens, "cached", backend, account, model);
            AddTokens(outcome.Usage.ReasoningTokens, "reasoning", backend, account, model);
        }

        if (outcome.CostMicros > 0)
        {
            _cost.Add(outcome.CostMicros, new TagList { { "backend", backend }, { "account", account }, { "model", model }, { "key", outcome.KeyId } });
        }
    }

    public void StreamOpened(string door) => _openStreams.Add(1, new KeyValuePair<string, object?>("door", door));

    public void StreamClosed(string door) => _openStreams.Add(-1, new KeyValuePair<string, object?>("door", door));

    public void UpstreamFailed(string backend, string kind) =>
        _upstreamErrors.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("kind", kind));

    public void UpstreamRetried(string backend, string reason) =>
        _retries.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("reason", reason));

    public void FailedOver(string backend, string reason) =>
        _failovers.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("reason", reason));

    public void LedgerBatchWritten(TimeSpan elapsed) => _ledgerWrite.Record(elapsed.TotalSeconds);

    private void AddTokens(long count, string type, string backend, string account, string model)
    {
        if (count > 0)
        {
            _tokens.Add(count, new TagList { { "backend", backend }, { "account", account }, { "model", model }, { "type", type } });
        }
    }

    // Status labels without an allocation per request for the common ones.
    private static string StatusText(int status) => status switch
    {
        200 => "200",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        429 => "429",
        499 => "499",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public void Dispose() => _meter.Dispose();
}
