using Godex.Core.Backends.Upstream;
using Godex.Server.Observability.Metrics;

namespace Godex.Server.Observability;

/// <summary>
/// The application's observer of every upstream call when metrics are on and nothing else watches the request
/// (no trace, no upstream audit): it counts failures, retries and failovers as <see cref="RequestUpstreamObserver"/>
/// does, but it is one object for the whole process, handed to the senders when the backends are built, so a
/// request costs no observer of its own and no async-local value.
/// </summary>
internal sealed class MetricsUpstreamObserver(GodexMetrics metrics) : IUpstreamObserver
{
    public IUpstreamCall? Start(string backend, UpstreamRequest request) => new Call(metrics, backend);

    public void FailedOver(string backend, string? fromAccount, string reason) => metrics.FailedOver(backend, reason);

    private sealed class Call(GodexMetrics metrics, string backend) : IUpstreamCall
    {
        public void Sending(System.Net.Http.Headers.HttpRequestHeaders headers)
        {
        }

        public void Retrying(string reason) => metrics.UpstreamRetried(backend, reason);

        public void Answered(int status, string? errorKind)
        {
            if (errorKind is not null)
            {
                metrics.UpstreamFailed(backend, errorKind);
            }
        }

        public void Dispose()
        {
        }
    }
}
