namespace Godex.Core.Sse;

/// <summary>One dispatched server-sent event: its <c>event:</c> type (<c>message</c> when absent) and its data.</summary>
public readonly record struct SseEvent(string EventType, ReadOnlyMemory<byte> Data)
{
    /// <summary>True for OpenAI's end-of-stream sentinel <c>data: [DONE]</c>.</summary>
    public bool IsDone => Data.Span.Trim(" \t"u8).SequenceEqual("[DONE]"u8);
}
