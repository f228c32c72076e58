using System.Net.Http.Headers;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// What one provider tells the shared send path (<see cref="UpstreamSender{TCredential}"/>): its name, its timeouts and
/// retries, how it logs in, which headers its requests carry and how it words a refusal. Everything else — the header
/// timeout, retries before the first byte, the one refresh after a 401, the capped error body, the idle-timed body —
/// is the send path's, the same for every provider.
/// </summary>
/// <typeparam name="TCredential">The provider's login (an OAuth token with its account, an API key).</typeparam>
public abstract class UpstreamProfile<TCredential>
    where TCredential : class
{
    /// <summary>The backend id used in config, routing and logs: <c>codex</c>, <c>anthropic</c>.</summary>
    public abstract string Name { get; }

    /// <summary>How messages to users name the upstream: "the Codex upstream".</summary>
    public abstract string DisplayName { get; }

    /// <summary>Timeouts and retries.</summary>
    public abstract UpstreamOptions Options { get; }

    /// <summary>
    /// The login to send with. After the upstream answered 401, <paramref name="rejected"/> is the login it refused:
    /// refresh it (once for all concurrent callers) or return it unchanged when that is not possible. Throws
    /// <see cref="Auth.CredentialException"/> when there is no usable login.
    /// </summary>
    public abstract ValueTask<TCredential> GetCredentialAsync(TCredential? rejected, CancellationToken cancellationToken);

    /// <summary>True when two logins would authenticate the same way (a refresh that changed nothing).</summary>
    public abstract bool SameCredential(TCredential first, TCredential second);

    /// <summary>
    /// Adds the login's and the provider's headers to a request about to be sent; <paramref name="clientHeaders"/> are
    /// the request's validated client-derived headers, for a provider that merges its own into one of them.
    /// </summary>
    public abstract void AddHeaders(HttpRequestHeaders headers, TCredential credential, UpstreamHeaders clientHeaders);

    /// <summary>The error value for a refusal: the upstream's status and the start of its body (at most 64 KiB).</summary>
    public abstract BackendError ReadError(int status, ReadOnlySpan<byte> body);

    /// <summary>
    /// The dialect rules of the upstream's event streams, when an in-band refusal before any content (an overload
    /// error right after the preamble) must count as a refusal: retried, failed over to another account, invisible to
    /// the client. Null: streams are taken as they come.
    /// </summary>
    internal virtual IRelayRules? PreambleRules => null;

    /// <summary>A short description of the login for the Debug log (its kind, never its secret).</summary>
    public virtual string Describe(TCredential credential) => "login";
}
