using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects;

/// <summary>
/// A translated answer built by accumulating the stream into one <see cref="ChatResponse"/> (Chat Completions and
/// Messages answer this way); <paramref name="write"/> is the dialect's writer of that response.
/// </summary>
internal sealed class AccumulatedAnswer(string id, string model, Action<Utf8JsonWriter, ChatResponse> write) : IClientAnswer
{
    private readonly ChatResponseAccumulator _accumulator = new();

    public BackendError? Failure => _accumulator.Error;

    public ValueTask<bool> AddAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        _accumulator.Add(streamEvent);
        return ValueTask.FromResult(_accumulator.IsCompleted);
    }

    public void WriteJson(Utf8JsonWriter writer) => write(writer, _accumulator.ToResponse(id, model));
}
