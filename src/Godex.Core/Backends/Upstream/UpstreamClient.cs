namespace Godex.Core.Backends.Upstream;

/// <summary>
/// The <see cref="HttpClient"/> of one upstream, whose request path (<see cref="SendForHeadersAsync"/>) goes to the
/// handler directly. <see cref="HttpClient.SendAsync(HttpRequestMessage, HttpCompletionOption, CancellationToken)"/>
/// links the caller's token with the client's own pending-requests source for every request (an allocation and two
/// registrations) and wraps the handler's task in one more async layer; godex cancels through its own token and never
/// calls <see cref="HttpClient.CancelPendingRequests"/>, so <see cref="UpstreamSender{TCredential}"/> skips both. Everything
/// else (credential refreshes, model discovery) uses it as the plain client it also is.
/// </summary>
/// <remarks>
/// <see cref="HttpClient.BaseAddress"/>, <see cref="HttpClient.DefaultRequestHeaders"/> and
/// <see cref="HttpClient.Timeout"/> do not apply to <see cref="SendForHeadersAsync"/>: the sender builds absolute,
/// complete requests and bounds them with its own timeouts.
/// </remarks>
public sealed class UpstreamClient : HttpClient
{
    private readonly HttpMessageInvoker _invoker;

    /// <param name="handler">The upstream's pooled handler (possibly wrapped); disposed with the client.</param>
    public UpstreamClient(HttpMessageHandler handler)
        : base(handler, disposeHandler: true)
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        _invoker = new HttpMessageInvoker(handler, disposeHandler: false);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and completes when the response headers arrived, the body unread (what
    /// <see cref="HttpCompletionOption.ResponseHeadersRead"/> gives through <see cref="HttpClient"/>).
    /// </summary>
    public Task<HttpResponseMessage> SendForHeadersAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invoker.SendAsync(request, cancellationToken);
}
