using System.Diagnostics.Metrics;
using Godex.Core.Conversation;
using Godex.Server.Observability;
using Godex.Server.Observability.Metrics;

namespace Godex.Server.Tests.Observability;

/// <summary>
/// godex's own counter cells (<see cref="CounterCells{TLabels}"/>) as the exporter sees them at a scrape: through a
/// <see cref="MeterListener"/> that collects the observable instruments, as the OpenTelemetry SDK does.
/// </summary>
public sealed class GodexMetricsTests
{
    [Fact]
    public void RequestsAndTokens_AreSummedPerLabelSet_AndATypeAppearsWithItsFirstToken()
    {
        using var metrics = new GodexMetrics(null);
        metrics.RequestFinished(Outcome("gpt-5.2-codex", input: 100, output: 20, cost: 7));
        metrics.RequestFinished(Outcome("gpt-5.2-codex", input: 50, output: 10, cost: 3));
        metrics.RequestFinished(Outcome("gpt-5.2-codex", status: 400));
        metrics.RequestFinished(Outcome("gpt-5.4", input: 1, output: 1, reasoning: 1));

        List<Point> points = Scrape(metrics);

        Assert.Equal(2, Value(points, "godex.requests", "model=gpt-5.2-codex", "status=200", "door=chat_completions", "backend=codex", "account=acct"));
        Assert.Equal(1, Value(points, "godex.requests", "model=gpt-5.2-codex", "status=400"));
        Assert.Equal(1, Value(points, "godex.requests", "model=gpt-5.4"));
        Assert.Equal(3, points.Count(p => p.Instrument == "godex.requests"));
        Assert.Equal(150, Value(points, "godex.tokens", "model=gpt-5.2-codex", "type=input"));
        Assert.Equal(30, Value(points, "godex.tokens", "model=gpt-5.2-codex", "type=output"));
        Assert.Equal(1, Value(points, "godex.tokens", "model=gpt-5.4", "type=reasoning"));
        Assert.DoesNotContain(points, p => p.Instrument == "godex.tokens" && p.Has("type=cached")); // no request had cached tokens
        Assert.DoesNotContain(points, p => p.Instrument == "godex.tokens" && p.Has("model=gpt-5.2-codex") && p.Has("type=reasoning"));
        Assert.Equal(10, Value(points, "godex.cost.usd_micros", "model=gpt-5.2-codex", "key=k1"));
        Assert.DoesNotContain(points, p => p.Instrument == "godex.cost.usd_micros" && p.Has("model=gpt-5.4")); // cost 0: no series
    }

    [Fact]
    public void UpstreamCountersAndOpenStreams_AreReportedWithTheirLabels()
    {
        using var metrics = new GodexMetrics(null);
        metrics.UpstreamRetried("codex", "503");
        metrics.UpstreamRetried("codex", "503");
        metrics.UpstreamFailed("anthropic", "http_429");
        metrics.FailedOver("anthropic", "429");
        metrics.StreamOpened("responses");
        metrics.StreamOpened("responses");
        metrics.StreamClosed("responses");
        metrics.StreamOpened("messages");
        metrics.StreamClosed("messages");

        List<Point> points = Scrape(metrics);

        Assert.Equal(2, Value(points, "godex.upstream.retries", "backend=codex", "reason=503"));
        Assert.Equal(1, Value(points, "godex.upstream.errors", "backend=anthropic", "kind=http_429"));
        Assert.Equal(1, Value(points, "godex.upstream.failovers", "backend=anthropic", "reason=429"));
        Assert.Equal(1, Value(points, "godex.open_streams", "door=responses"));
        Assert.Equal(0, Value(points, "godex.open_streams", "door=messages")); // an up-down counter reports its zero
    }

    [Fact]
    public void PastTheLabelSetLimit_NewModelsAreSummedIntoTheOverflowSeries_AndTheTotalStaysExact()
    {
        using var metrics = new GodexMetrics(null);
        const int Extra = 5;
        for (int i = 0; i < GodexMetrics.MaxLabelSets + Extra; i++)
        {
            metrics.RequestFinished(Outcome($"model-{i}", input: 2));
        }

        metrics.RequestFinished(Outcome("model-0", input: 2)); // a label set seen before the limit keeps its own series

        List<Point> points = Scrape(metrics);
        List<Point> requests = [.. points.Where(p => p.Instrument == "godex.requests")];
        Assert.Equal(GodexMetrics.MaxLabelSets + 1, requests.Count);
        Assert.Equal(GodexMetrics.MaxLabelSets + Extra + 1, requests.Sum(p => p.Value));
        Assert.Equal(2, Value(points, "godex.requests", "model=model-0"));
        Assert.Equal(Extra, Value(points, "godex.requests", "otel.metric.overflow=True"));
        Assert.Equal(2 * Extra, Value(points, "godex.tokens", "otel.metric.overflow=True", "type=input"));
        Assert.Equal(GodexMetrics.MaxLabelSets + 1, points.Count(p => p.Instrument == "godex.tokens"));
    }

    [Fact]
    public async Task ConcurrentRequests_AreCountedExactly()
    {
        using var metrics = new GodexMetrics(null);
        const int Threads = 4, PerThread = 20_000;
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                metrics.RequestFinished(Outcome(i % 2 == 0 ? "even" : "odd", input: 3, output: 1));
            }
        }, TestContext.Current.CancellationToken)));

        List<Point> points = Scrape(metrics);
        Assert.Equal(Threads * PerThread / 2, Value(points, "godex.requests", "model=even"));
        Assert.Equal(Threads * PerThread / 2, Value(points, "godex.requests", "model=odd"));
        Assert.Equal(3L * Threads * PerThread, points.Where(p => p.Instrument == "godex.tokens" && p.Has("type=input")).Sum(p => p.Value));
    }

    private static RequestOutcome Outcome(string model, int status = 200, long input = 0, long output = 0, long reasoning = 0, long cost = 0) =>
        new(DateTimeOffset.UnixEpoch, "req-1", "k1", "chat_completions", "POST", "/v1/chat/completions", model, "codex", "acct", status, false,
            new Usage { InputTokens = input, OutputTokens = output, ReasoningTokens = reasoning }, cost, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(3));

    /// <summary>One collection of this instance's observable instruments, as a scrape makes it.</summary>
    private static List<Point> Scrape(GodexMetrics metrics)
    {
        var points = new List<Point>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            points.Add(new Point(instrument.Name, value, [.. tags.ToArray().Select(t => $"{t.Key}={t.Value}")])));
        listener.Start();
        listener.RecordObservableInstruments();
        return points;
    }

    private static long Value(List<Point> points, string instrument, params string[] labels) =>
        points.Single(p => p.Instrument == instrument && labels.All(p.Has)).Value;

    private sealed record Point(string Instrument, long Value, string[] Labels)
    {
        public bool Has(string label) => Labels.Contains(label);
    }
}
