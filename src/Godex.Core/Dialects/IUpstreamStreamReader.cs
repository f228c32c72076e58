using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects;

/// <summary>
/// Turns one upstream dialect's SSE events into canonical <see cref="StreamEvent"/>s. A small state machine: feed it
/// every event, then <see cref="Complete"/> when the body ends.
/// </summary>
internal interface IUpstreamStreamReader
{
    /// <summary>True once a terminal event (completed or error) has been produced.</summary>
    bool IsCompleted { get; }

    /// <summary>
    /// True when the dialect's upstream may answer as one JSON document (a call made without a stream), which is then
    /// fed whole to <see cref="Feed"/> as an event of type <c>message</c>; false when only a stream is read.
    /// </summary>
    bool ReadsWholeAnswers { get; }

    /// <summary>Adds the canonical events for one upstream event to <paramref name="output"/>.</summary>
    void Feed(SseEvent sse, List<StreamEvent> output);

    /// <summary>The body ended: adds an error when no terminal event was seen (a cut stream is never a success).</summary>
    void Complete(List<StreamEvent> output);
}
