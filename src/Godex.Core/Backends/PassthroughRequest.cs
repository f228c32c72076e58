using Godex.Core.Backends.Upstream;
using Godex.Core.Dialects;

namespace Godex.Core.Backends;

/// <summary>A client's request for a same-dialect backend (<see cref="IPassthroughBackend"/>).</summary>
/// <param name="Dialect">The wire the body is in.</param>
/// <param name="Body">The client's body, as it arrived.</param>
/// <param name="Model">The routed model, written into the body in place of the client's.</param>
/// <param name="ClientStreams">The client asked to stream (else godex reads the whole answer first).</param>
public sealed record PassthroughRequest(WireDialect Dialect, ReadOnlyMemory<byte> Body, string Model, bool ClientStreams)
{
    /// <summary>The dialect's secondary operation (<c>count_tokens</c> for Messages); empty for its main endpoint.</summary>
    public string Operation { get; init; } = "";

    /// <summary>The client's query string (<c>?beta=true</c>), kept when it is plain.</summary>
    public string? Query { get; init; }

    /// <summary>The client's headers that the backend forwards (<see cref="IPassthroughBackend.ForwardedHeaders"/>), validated.</summary>
    public UpstreamHeaders Headers { get; init; } = new();
}
