using System.Diagnostics;
using System.Net.Http.Headers;
using Godex.Core.Backends.Upstream;
using Godex.Server.Observability.Audit;
using Godex.Server.Observability.Metrics;
using Godex.Server.Observability.Tracing;

namespace Godex.Server.Observability;

/// <summary>
/// One request's view of its upstream calls (<see cref="UpstreamObserver.Current"/> while it runs): retries, failures
/// and failovers counted, a client span per call, the upstream audit file.
/// </summary>
internal sealed class RequestUpstreamObserver : IUpstreamObserver
{
    private readonly string _requestId;
    private readonly GodexMetrics? _metrics;
    private readonly bool _tracing;
    private readonly bool _propagate;
    private readonly AuditLog? _audit;

    public RequestUpstreamObserver(string requestId, GodexMetrics? metrics, bool tracing, bool propagate, AuditLog? audit)
    {
        _requestId = requestId;
        _metrics = metrics;
        _tracing = tracing;
        _propagate = propagate;
        _audit = audit;
    }

    public IUpstreamCall? Start(string backend, UpstreamRequest request)
    {
        Activity? activity = _tracing ? GodexTracing.StartUpstream(backend, request) : null;
        _audit?.UpstreamSending(_requestId, backend, request);
        return new Call(this, backend, activity);
    }

    public void FailedOver(string backend, string? fromAccount, string reason) => _metrics?.FailedOver(backend, reason);

    private sealed class Call(RequestUpstreamObserver owner, string backend, Activity? activity) : IUpstreamCall
    {
        public void Sending(HttpRequestHeaders headers)
        {
            if (activity is not null && owner._propagate)
            {
                GodexTracing.Inject(activity, headers);
            }
        }

        public void Retrying(string reason)
        {
            owner._metrics?.UpstreamRetried(backend, reason);
            owner._audit?.UpstreamRetrying(owner._requestId, backend, reason);
            if (activity is not null)
            {
                GodexTracing.Retrying(activity, reason);
            }
        }

        public void Answered(int status, string? errorKind)
        {
            if (errorKind is not null)
            {
                owner._metrics?.UpstreamFailed(backend, errorKind);
            }

            owner._audit?.UpstreamAnswered(owner._requestId, backend, status, errorKind);
            if (activity is not null)
            {
                GodexTracing.Answered(activity, status, errorKind);
            }
        }

        public void Dispose() => activity?.Stop();
    }
}
