using System.Buffers;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects;

/// <summary>
/// What the passthrough relay needs to know of a dialect: what each upstream event is, what an error event means,
/// how to write one of its own, which upstream headers a client should see, and where usage is.
/// </summary>
internal interface IRelayRules
{
    /// <summary>The role of one upstream event; <see cref="RelayFrameKind.Malformed"/> when its data is not valid JSON.</summary>
    RelayFrameKind Classify(in SseFrame frame);

    /// <summary>
    /// The role of one upstream event by its name (or its <c>type</c>), without checking the rest of its data is JSON:
    /// for the send path's look at a stream's first events, which the relay then classifies in full.
    /// <see cref="RelayFrameKind.Malformed"/> only when the role cannot be told.
    /// </summary>
    RelayFrameKind KindOf(in SseFrame frame);

    /// <summary>The error an <see cref="RelayFrameKind.Error"/> or <see cref="RelayFrameKind.Failed"/> event stands for, with the status an HTTP answer would carry.</summary>
    BackendError ErrorOf(in SseFrame frame);

    /// <summary>Writes an error event of the dialect: how a stream that has started says it failed.</summary>
    void WriteErrorEvent(IBufferWriter<byte> output, BackendError error);

    /// <summary>True for an upstream response header the client should see (rate limits, request ids).</summary>
    bool IsRelayedHeader(string name);

    /// <summary>True when the upstream's own refusal bodies are already in the client's dialect and may go back unchanged.</summary>
    bool RelaysRefusalBodies { get; }

    /// <summary>A new usage reader for one answer.</summary>
    IRelayUsageTap CreateUsageTap();

    /// <summary>
    /// For a client that did not ask to stream, when the upstream only streams: a new builder of the one JSON answer.
    /// Null when the upstream answers such clients with JSON itself.
    /// </summary>
    IRelayAggregator? CreateAggregator();
}

/// <summary>What an upstream event is to the relay.</summary>
internal enum RelayFrameKind
{
    /// <summary>Comes before any content (<c>response.created</c>, <c>message_start</c>, <c>ping</c>): may be held back so that an error right after it can still be an HTTP status.</summary>
    Preamble,

    /// <summary>Content or progress.</summary>
    Content,

    /// <summary>The dialect's successful end (<c>response.completed</c>, <c>message_stop</c>).</summary>
    Terminal,

    /// <summary>The dialect's unsuccessful end that is not an error event (<c>response.failed</c>).</summary>
    Failed,

    /// <summary>An error event (<c>error</c>).</summary>
    Error,

    /// <summary>Data that is not valid UTF-8 JSON.</summary>
    Malformed,
}

/// <summary>Reads usage from the events (or the JSON answer) that pass through a relay.</summary>
internal interface IRelayUsageTap
{
    /// <summary>The usage seen so far.</summary>
    Usage Usage { get; }

    /// <summary>Looks at one event.</summary>
    void Observe(in SseFrame frame);

    /// <summary>Looks at a whole JSON answer.</summary>
    void ObserveJson(ReadOnlySpan<byte> json);
}

/// <summary>Builds one JSON answer from a stream's events (for a client that did not ask to stream).</summary>
internal interface IRelayAggregator
{
    /// <summary>Adds one event; true once the answer is complete (or failed: <see cref="Error"/>).</summary>
    bool Add(in SseFrame frame);

    /// <summary>The failure the stream reported, if any.</summary>
    BackendError? Error { get; }

    /// <summary>The answer once complete.</summary>
    byte[]? Result { get; }
}
