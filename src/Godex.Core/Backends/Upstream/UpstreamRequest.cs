namespace Godex.Core.Backends.Upstream;

/// <summary>One request to an upstream, as the send path takes it.</summary>
/// <param name="Uri">Where it goes.</param>
/// <param name="Body">The JSON body; empty for a GET.</param>
/// <param name="Model">The model it is for (logs and error messages only).</param>
public sealed record UpstreamRequest(Uri Uri, ReadOnlyMemory<byte> Body, string Model)
{
    /// <summary>The method. <value>The default value is POST.</value></summary>
    public HttpMethod Method { get; init; } = HttpMethod.Post;

    /// <summary>Ask for <c>text/event-stream</c> (else <c>application/json</c>). <value>The default value is true.</value></summary>
    public bool AcceptEventStream { get; init; } = true;

    /// <summary>
    /// Whether the client sees the answer as it comes. When false, godex reads the whole answer before replying, so
    /// it is bounded by <see cref="Configuration.UpstreamOptions.TotalTimeout"/>. <value>The default value is true.</value>
    /// </summary>
    public bool ClientStreams { get; init; } = true;

    /// <summary>
    /// The upstream sends nothing, headers included, until its whole answer is generated (a generation asked for
    /// without a stream): the wait for the response headers is <see cref="Configuration.UpstreamOptions.TotalTimeout"/>,
    /// not <see cref="Configuration.UpstreamOptions.ConnectTimeout"/> (which still bounds the connection itself).
    /// <value>The default value is false.</value>
    /// </summary>
    public bool AnswersWhenDone { get; init; }

    /// <summary>
    /// Retries on this request instead of <see cref="Configuration.UpstreamOptions.RetryMax"/>: an account pool sends with 0
    /// while another account can take the request (failing over beats waiting). <value>The default value is null.</value>
    /// </summary>
    public int? RetryMax { get; init; }

    /// <summary>Headers carrying client-chosen text, each already validated.</summary>
    public UpstreamHeaders Headers { get; init; } = new();
}
