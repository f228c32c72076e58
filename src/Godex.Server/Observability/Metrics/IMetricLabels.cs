using System.Diagnostics;

namespace Godex.Server.Observability.Metrics;

/// <summary>One label set of a <see cref="CounterCells{TLabels}"/>: compared and hashed per measurement, turned into tags only at scrape time.</summary>
internal interface IMetricLabels<TSelf> : IEquatable<TSelf>
    where TSelf : struct
{
    /// <summary>The labels as the exporter's tags (OpenTelemetry names; the exporter writes them as Prometheus labels).</summary>
    TagList Tags();
}
