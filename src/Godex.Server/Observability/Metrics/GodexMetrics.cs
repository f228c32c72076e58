using System.Diagnostics;
using System.Diagnostics.Metrics;
using Godex.Core;
using Godex.Core.Conversation;

namespace Godex.Server.Observability.Metrics;

/// <summary>
/// godex's instruments (meter <see cref="MeterName"/>), exported by <see cref="MetricsSetup"/> as Prometheus text.
/// Created only when <c>proxy.metrics.enabled</c>: with metrics off nothing here exists and no request pays for it.
/// The names below are the Prometheus ones (the exporter adds <c>_total</c>, and the unit to histograms).
/// The counters are summed by godex itself in <see cref="CounterCells{TLabels}"/> and handed to the SDK at scrape time
/// through observable instruments; only the histograms are the SDK's own instruments (docs/observability.md: cost).
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

    /// <summary>Label sets per instrument before the overflow series: the OpenTelemetry SDK's default cardinality limit.</summary>
    public const int MaxLabelSets = 2000;

    private const int TokenTypes = 4;

    // Seconds, from a cached answer (~ms) to a long agent turn (minutes).
    private static readonly double[] s_latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    // A batch is ~50 µs to a few ms; seconds means a stuck disk.
    private static readonly double[] s_writeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    // The type label of godex_tokens_total, by the index of the count in a token cell.
    private static readonly KeyValuePair<string, object?>[] s_tokenTypes = [new("type", "input"), new("type", "output"), new("type", "cached"), new("type", "reasoning")];

    /// <summary>
    /// The counters godex sums itself and the most series each may report: its label sets, the overflow's, times the
    /// four token types. <see cref="MetricsSetup"/> lets the SDK keep that many (its own limit would fold some into
    /// its overflow series again).
    /// </summary>
    public static readonly (string Instrument, int MaxSeries)[] Counters =
    [
        ("godex.requests", MaxLabelSets + 1),
        ("godex.tokens", (MaxLabelSets + 1) * TokenTypes),
        ("godex.cost.usd_micros", MaxLabelSets + 1),
        ("godex.upstream.errors", MaxLabelSets + 1),
        ("godex.upstream.retries", MaxLabelSets + 1),
        ("godex.upstream.failovers", MaxLabelSets + 1),
        ("godex.open_streams", MaxLabelSets + 1),
    ];

    private readonly Meter _meter;
    private readonly CounterCells<RequestLabels> _requests = new(1, MaxLabelSets);
    private readonly CounterCells<ModelLabels> _tokens = new(TokenTypes, MaxLabelSets);
    private readonly CounterCells<CostLabels> _cost = new(1, MaxLabelSets);
    private readonly CounterCells<ReasonLabels> _upstreamErrors = new(1, MaxLabelSets);
    private readonly CounterCells<ReasonLabels> _retries = new(1, MaxLabelSets);
    private readonly CounterCells<ReasonLabels> _failovers = new(1, MaxLabelSets);
    private readonly CounterCells<DoorLabel> _openStreams = new(1, MaxLabelSets);
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstByte;
    private readonly Histogram<double> _ledgerWrite;

    /// <param name="ledgerDepth">Rows queued for the ledger, read at each scrape; null without a database.</param>
    public GodexMetrics(Func<long>? ledgerDepth)
    {
        _meter = new Meter(MeterName, GodexVersion.Current);
        _meter.CreateObservableCounter("godex.requests", () => _requests.Measure(0), null, "Finished /v1 requests");
        _duration = _meter.CreateHistogram("godex.request.duration", "s", "From a request's arrival to its last byte", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _firstByte = _meter.CreateHistogram("godex.time_to_first_byte", "s", "From a request's arrival to its response headers (the first event of a stream)", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _meter.CreateObservableCounter("godex.tokens", ObserveTokens, null, "Tokens by type: input (all prompt tokens), output (reasoning included), cached (prompt tokens read from cache), reasoning");
        _meter.CreateObservableCounter("godex.cost.usd_micros", () => _cost.Measure(0), null, "Spend at list price in micro-dollars (proxy.prices and the built-in table)");
        _meter.CreateObservableCounter("godex.upstream.errors", () => _upstreamErrors.Measure(0), null, "Upstream calls that failed, by kind");
        _meter.CreateObservableCounter("godex.upstream.retries", () => _retries.Measure(0), null, "Upstream attempts sent again before the first byte");
        _meter.CreateObservableCounter("godex.upstream.failovers", () => _failovers.Measure(0), null, "Requests moved to another account of a pool after a failure");
        _meter.CreateObservableUpDownCounter("godex.open_streams", () => _openStreams.Measure(0, skipZero: false), null, "Responses being streamed to clients now");
        _ledgerWrite = _meter.CreateHistogram("godex.ledger.write", "s", "Time to write one batch of usage rows", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_writeBuckets });
        if (ledgerDepth is not null)
        {
            _meter.CreateObservableGauge("godex.ledger.queue_depth", ledgerDepth, null, "Usage rows waiting to be written");
        }
    }

    /// <summary>This instance's meter (several godex apps in one process each have their own).</summary>
    public Meter Meter => _meter;

    public void RequestFinished(RequestOutcome outcome)
    {
        string model = outcome.Model;
        string backend = outcome.Backend;
        string account = outcome.Account ?? "";
        _requests.Add(new RequestLabels(outcome.Door, backend, account, model, outcome.Status), 1);

        var timing = new TagList { { "door", outcome.Door }, { "backend", backend }, { "model", model } };
        _duration.Record(outcome.Duration.TotalSeconds, timing);
        if (outcome.TimeToFirstByte is { } firstByte)
        {
            _firstByte.Record(firstByte.TotalSeconds, timing);
        }

        Usage usage = outcome.Usage;
        if (usage.TotalTokens > 0)
        {
            long[] tokens = _tokens.For(new ModelLabels(backend, account, model));
            AddPositive(ref tokens[0], usage.InputTokens);
            AddPositive(ref tokens[1], usage.OutputTokens);
            AddPositive(ref tokens[2], usage.CachedInputTokens);
            AddPositive(ref tokens[3], usage.ReasoningTokens);
        }

        if (outcome.CostMicros > 0)
        {
            _cost.Add(new CostLabels(backend, account, model, outcome.KeyId), outcome.CostMicros);
        }
    }

    public void StreamOpened(string door) => _openStreams.Add(new DoorLabel(door), 1);

    public void StreamClosed(string door) => _openStreams.Add(new DoorLabel(door), -1);

    public void UpstreamFailed(string backend, string kind) => _upstreamErrors.Add(new ReasonLabels(backend, "kind", kind), 1);

    public void UpstreamRetried(string backend, string reason) => _retries.Add(new ReasonLabels(backend, "reason", reason), 1);

    public void FailedOver(string backend, string reason) => _failovers.Add(new ReasonLabels(backend, "reason", reason), 1);

    public void LedgerBatchWritten(TimeSpan elapsed) => _ledgerWrite.Record(elapsed.TotalSeconds);

    // Only counts above zero, as the SDK counters did: a type's series appears with its first token.
    private static void AddPositive(ref long cell, long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref cell, count);
        }
    }

    private IEnumerable<Measurement<long>> ObserveTokens()
    {
        for (int type = 0; type < TokenTypes; type++)
        {
            foreach (Measurement<long> measurement in _tokens.Measure(type, s_tokenTypes[type]))
            {
                yield return measurement;
            }
        }
    }

    // Status labels without an allocation per scrape for the common ones.
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

    private readonly record struct RequestLabels(string Door, string Backend, string Account, string Model, int Status) : IMetricLabels<RequestLabels>
    {
        public TagList Tags() => new() { { "door", Door }, { "backend", Backend }, { "account", Account }, { "model", Model }, { "status", StatusText(Status) } };
    }

    private readonly record struct ModelLabels(string Backend, string Account, string Model) : IMetricLabels<ModelLabels>
    {
        public TagList Tags() => new() { { "backend", Backend }, { "account", Account }, { "model", Model } };
    }

    private readonly record struct CostLabels(string Backend, string Account, string Model, string Key) : IMetricLabels<CostLabels>
    {
        public TagList Tags() => new() { { "backend", Backend }, { "account", Account }, { "model", Model }, { "key", Key } };
    }

    // Name is the instrument's constant label name (kind or reason): the same string instance, equal at a reference check.
    private readonly record struct ReasonLabels(string Backend, string Name, string Value) : IMetricLabels<ReasonLabels>
    {
        public TagList Tags() => new() { { "backend", Backend }, { Name, Value } };
    }

    private readonly record struct DoorLabel(string Door) : IMetricLabels<DoorLabel>
    {
        public TagList Tags() => new() { { "door", Door } };
    }
}
