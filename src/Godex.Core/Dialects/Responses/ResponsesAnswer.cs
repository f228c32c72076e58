using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Responses;

/// <summary>A translated answer as one Responses <c>response</c> object: the stream writer run without a stream.</summary>
internal sealed class ResponsesAnswer(ResponsesStreamWriter response) : IClientAnswer
{
    public BackendError? Failure { get; private set; }

    public async ValueTask<bool> AddAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        if (streamEvent is StreamErrorEvent failed)
        {
            Failure = failed.Error;
        }

        bool done = await response.WriteAsync(streamEvent, cancellationToken);

        // The writer may fail the response itself (a response that was to be stored and could not be).
        Failure ??= response.Error;
        return done;
    }

    public void WriteJson(Utf8JsonWriter writer) => response.WriteResponse(writer);
}
