using Godex.Core.Conversation;

namespace Godex.Core.Backends;

/// <summary>
/// A provider ("back door"): turns a canonical <see cref="ChatRequest"/> into an upstream call and the upstream's
/// answer into canonical <see cref="StreamEvent"/>s.
/// </summary>
public interface IChatBackend
{
    /// <summary>The canonical backend id used in config, routing and logs: <c>codex</c>, <c>anthropic</c>, ...</summary>
    string Name { get; }

    /// <summary>
    /// Streams one model turn. Expected failures are not thrown: they arrive as a terminal
    /// <see cref="StreamErrorEvent"/> (before any content when the upstream refused the request). The upstream call is
    /// cancelled when <paramref name="cancellationToken"/> fires or the enumerator is disposed.
    /// </summary>
    IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken);

    /// <summary>The models this backend offers (live discovery where the upstream has it, else a static list).</summary>
    Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken);
}
