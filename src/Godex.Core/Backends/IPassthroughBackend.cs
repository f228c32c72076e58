using Godex.Core.Backends.Upstream;
using Godex.Core.Dialects;

namespace Godex.Core.Backends;

/// <summary>
/// A backend's same-dialect capability: when a client already speaks the backend's wire, its body goes upstream nearly
/// verbatim (the model, the login and the edits the upstream demands) through the shared send path, and the answer is
/// relayed byte for byte. Front doors ask for it through this interface and never name a provider.
/// </summary>
public interface IPassthroughBackend
{
    /// <summary>True when the backend speaks <paramref name="dialect"/> upstream.</summary>
    bool CanPassThrough(WireDialect dialect);

    /// <summary>The client request headers the backend forwards (validated) for <paramref name="dialect"/>.</summary>
    IReadOnlyList<string> ForwardedHeaders(WireDialect dialect);

    /// <summary>
    /// Sends the client's body. Never throws for an upstream failure: a refusal before the first byte is the result's
    /// <see cref="UpstreamResponse.Error"/>.
    /// </summary>
    Task<UpstreamResponse> ForwardAsync(PassthroughRequest request, CancellationToken cancellationToken);
}
