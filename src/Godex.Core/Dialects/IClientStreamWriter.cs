using Godex.Core.Conversation;

namespace Godex.Core.Dialects;

/// <summary>A dialect's writer of a translated answer as a client stream: canonical events in, the dialect's SSE out.</summary>
internal interface IClientStreamWriter
{
    /// <summary>True once a terminal event (the answer's end, or an error) has been written.</summary>
    bool IsCompleted { get; }

    /// <summary>Writes what the dialect sends before the first canonical event (Responses: <c>response.created</c>).</summary>
    ValueTask StartAsync(CancellationToken cancellationToken);

    /// <summary>Writes one canonical event; true once the terminal event has been written.</summary>
    ValueTask<bool> WriteAsync(StreamEvent streamEvent, CancellationToken cancellationToken);

    /// <summary>Writes an in-band error and the dialect's clean end of stream.</summary>
    ValueTask WriteErrorAsync(BackendError error, CancellationToken cancellationToken);

    /// <summary>Writes something that keeps an idle connection open and that clients ignore (Messages: <c>ping</c>).</summary>
    ValueTask WriteKeepAliveAsync(CancellationToken cancellationToken);
}
