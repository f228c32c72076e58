using System.Net.Http.Headers;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// What the send path (<see cref="UpstreamSender{TCredential}"/>) tells an observer about one upstream call: metrics,
/// traces and the upstream audit file live behind it (in the server), never inside the send path. The observer of a
/// request is found through <see cref="UpstreamObserver.Current"/>, so a request that nobody observes costs one
/// null check.
/// </summary>
public interface IUpstreamObserver
{
    /// <summary>One call (steps 2–7 of the send path) begins; the returned call ends (is disposed) when its answer or refusal is known.</summary>
    IUpstreamCall? Start(string backend, UpstreamRequest request);

    /// <summary>
    /// A pool moved a request from one account to another after a failure. Account pools call it; the send path
    /// itself never switches accounts.
    /// </summary>
    void FailedOver(string backend, string? fromAccount, string reason);
}

/// <summary>One upstream call as <see cref="IUpstreamObserver"/> sees it.</summary>
public interface IUpstreamCall : IDisposable
{
    /// <summary>An attempt is about to be sent with these headers (a tracer may add <c>traceparent</c>).</summary>
    void Sending(HttpRequestHeaders headers);

    /// <summary>An attempt failed and the send path tries again: <paramref name="reason"/> is <c>connect</c> or the status (<c>429</c>, <c>503</c>).</summary>
    void Retrying(string reason);

    /// <summary>The call's outcome: the upstream's status (0 when none came) and, for a failure, its kind (<c>connect</c>, <c>timeout</c>, <c>login</c>, <c>redirect</c>, <c>http_4xx</c>, <c>http_429</c>, <c>http_5xx</c>).</summary>
    void Answered(int status, string? errorKind);
}

/// <summary>The observer of the current request's upstream calls (flows with the request's async context).</summary>
public static class UpstreamObserver
{
    private static readonly AsyncLocal<IUpstreamObserver?> s_current = new();

    /// <summary>Null unless the host observes this request.</summary>
    public static IUpstreamObserver? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}
