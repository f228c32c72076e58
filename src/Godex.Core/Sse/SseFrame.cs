namespace Godex.Core.Sse;

/// <summary>
/// One whole server-sent event as the upstream sent it (<see cref="Raw"/>, its terminating blank line included) with
/// its fields read out. From <see cref="SseFrameReader"/> the memory is a view of the read buffer, valid until the next
/// frame is asked for: <see cref="Detached"/> copies it for a consumer that keeps it longer.
/// </summary>
public readonly struct SseFrame
{
    internal SseFrame(string eventType, ReadOnlyMemory<byte> raw, ReadOnlyMemory<byte> data, bool endsRead)
    {
        EventType = eventType;
        Raw = raw;
        Data = data;
        EndsRead = endsRead;
    }

    /// <summary>The <c>event:</c> field; empty when the event had none.</summary>
    public string EventType { get; }

    /// <summary>The event's bytes, unchanged, ending with the blank line that dispatches it.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>The <c>data:</c> lines (one optional space after the colon removed), joined with LF.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// True when no further whole event is already buffered behind this one: the next frame needs another read from
    /// the upstream. A relay sends what it has written here and only here, so that events that arrived together leave
    /// together (one send, not one per event) and an event that arrived alone is never held back.
    /// </summary>
    public bool EndsRead { get; }

    /// <summary>True for OpenAI's end-of-stream sentinel <c>data: [DONE]</c>.</summary>
    public bool IsDone => Data.Span.Trim(" \t"u8).SequenceEqual("[DONE]"u8);

    /// <summary>The same frame with memory of its own.</summary>
    public SseFrame Detached()
    {
        byte[] raw = Raw.ToArray();
        ReadOnlyMemory<byte> data = Data.ToArray();
        return new SseFrame(EventType, raw, data, EndsRead);
    }

    /// <summary>The frame as the dialect stream readers take it (no copy).</summary>
    public SseEvent ToEvent() => new(EventType.Length == 0 ? "message" : EventType, Data);
}
