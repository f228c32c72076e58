using System.IO.Pipelines;
using Godex.Core.Conversation;

namespace Godex.Core.Relay;

/// <summary>The client side of a relay: the HTTP response of the front door that asked for it.</summary>
internal interface IRelayTarget
{
    /// <summary>
    /// Sends the status and headers (the body follows through <see cref="Body"/>); for an event stream, with response
    /// buffering off. <paramref name="contentLength"/> when the whole body is known.
    /// </summary>
    ValueTask StartAsync(int status, string contentType, IReadOnlyList<KeyValuePair<string, string>> headers, long? contentLength);

    /// <summary>Where the body goes: written bytes are sent by <see cref="PipeWriter.FlushAsync"/>, or when the response ends.</summary>
    PipeWriter Body { get; }

    /// <summary>Answers with an error in the client's dialect; only before <see cref="StartAsync"/>.</summary>
    Task WriteErrorAsync(BackendError error);

    /// <summary>The usage seen so far, for the ledger (called at the end, whatever the outcome).</summary>
    void ReportUsage(Usage usage);
}
