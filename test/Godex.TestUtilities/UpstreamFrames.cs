using Godex.Core.Sse;

namespace Godex.TestUtilities;

/// <summary>Recorded upstream bytes cut into events the way godex reads every upstream body (<see cref="SseFrameReader"/>).</summary>
public static class UpstreamFrames
{
    /// <summary>Every event of <paramref name="body"/>, each with memory of its own.</summary>
    public static async Task<List<SseEvent>> ReadAllAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var reader = new SseFrameReader(new MemoryStream(body));
        var events = new List<SseEvent>();
        while (await reader.MoveNextAsync(cancellationToken))
        {
            events.Add(reader.Current.Detached().ToEvent());
        }

        return events;
    }
}
