using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Godex.Server.Observability.Metrics;

/// <summary>
/// Counters per label set that godex sums itself: a measurement is one lock-free dictionary lookup and an
/// <see cref="Interlocked"/> add on the label set's cell. The OpenTelemetry SDK sees the sums only at scrape time,
/// through an observable instrument's callback (<see cref="Measure"/>), instead of sorting and aggregating the tags of
/// every measurement on the request's path (measured in docs/observability.md: that was most of the metrics' cost).
/// </summary>
/// <remarks>
/// A cell holds <c>width</c> values (the four token types share one). At most <see cref="GodexMetrics.MaxLabelSets"/>
/// label sets per instrument, as the SDK's own cardinality limit would keep: later label sets are summed into one
/// cell reported as <c>otel_metric_overflow="true"</c>, the SDK's overflow series, so a client sending many model
/// names cannot grow godex's memory or the exposition without bound.
/// </remarks>
internal sealed class CounterCells<TLabels> where TLabels : struct, IMetricLabels<TLabels>
{
    private static readonly KeyValuePair<string, object?> s_overflow = new("otel.metric.overflow", true);

    private readonly ConcurrentDictionary<TLabels, long[]> _cells = new();
    private readonly int _width;
    private readonly int _limit;
    private readonly long[] _overflow;
    private volatile bool _overflowed;

    public CounterCells(int width, int limit)
    {
        _width = width;
        _limit = limit;
        _overflow = new long[width];
    }

    /// <summary>The cell of <paramref name="labels"/>, created on first sight (or the overflow cell past the limit).</summary>
    public long[] For(in TLabels labels) => _cells.TryGetValue(labels, out long[]? cell) ? cell : Create(labels);

    public void Add(in TLabels labels, long value) => Interlocked.Add(ref For(labels)[0], value);

    // The first request of a label set: rare, so a lock keeps the limit exact without slowing the lookups.
    private long[] Create(TLabels labels)
    {
        lock (_overflow)
        {
            if (_cells.TryGetValue(labels, out long[]? cell))
            {
                return cell;
            }

            if (_cells.Count >= _limit)
            {
                _overflowed = true;
                return _overflow;
            }

            cell = new long[_width];
            _cells[labels] = cell;
            return cell;
        }
    }

    /// <summary>
    /// Value <paramref name="index"/> of every cell as a measurement tagged with the cell's labels (and
    /// <paramref name="extra"/>); zeros skipped when <paramref name="skipZero"/> (a counter's series appears with its
    /// first increment, as with the SDK's own counters).
    /// </summary>
    public IEnumerable<Measurement<long>> Measure(int index, KeyValuePair<string, object?>? extra = null, bool skipZero = true)
    {
        foreach (KeyValuePair<TLabels, long[]> cell in _cells)
        {
            long value = Volatile.Read(ref cell.Value[index]);
            if (value != 0 || !skipZero)
            {
                TagList tags = cell.Key.Tags();
                if (extra is { } tag)
                {
                    tags.Add(tag);
                }

                yield return new Measurement<long>(value, in tags);
            }
        }

        if (_overflowed)
        {
            long value = Volatile.Read(ref _overflow[index]);
            if (value != 0 || !skipZero)
            {
                var tags = new TagList { s_overflow };
                if (extra is { } tag)
                {
                    tags.Add(tag);
                }

                yield return new Measurement<long>(value, in tags);
            }
        }
    }
}
