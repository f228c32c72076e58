using System.Text;
using SseFrame = Godex.Core.Sse.SseFrame;

namespace Godex.Core.Tests.Dialects;

/// <summary>Upstream events as the relay rules see them: one SSE frame with its raw bytes.</summary>
internal static class RelayFrames
{
    /// <summary>An event named <paramref name="eventType"/> (none when empty) with <paramref name="data"/>.</summary>
    public static SseFrame Frame(string eventType, string data)
    {
        string prefix = (eventType.Length > 0 ? "event: " + eventType + "\n" : "") + "data: ";
        byte[] raw = Encoding.UTF8.GetBytes(prefix + data + "\n\n");
        int start = Encoding.UTF8.GetByteCount(prefix);
        return new SseFrame(eventType, raw, raw.AsMemory(start, raw.Length - start - 2), endsRead: true);
    }
}
