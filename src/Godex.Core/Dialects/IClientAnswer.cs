using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects;

/// <summary>A dialect's builder of a translated answer as one JSON body, for a client that did not ask to stream.</summary>
internal interface IClientAnswer
{
    /// <summary>The failure the stream reported, once there was one.</summary>
    BackendError? Failure { get; }

    /// <summary>Adds one canonical event; true once the answer is complete or failed.</summary>
    ValueTask<bool> AddAsync(StreamEvent streamEvent, CancellationToken cancellationToken);

    /// <summary>Writes the complete answer.</summary>
    void WriteJson(Utf8JsonWriter writer);
}
