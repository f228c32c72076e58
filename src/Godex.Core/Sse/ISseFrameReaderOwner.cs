namespace Godex.Core.Sse;

/// <summary>
/// What the owner of an <see cref="SseFrameReader"/>'s stream does around its reads, called from inside
/// <see cref="SseFrameReader.MoveNextAsync"/>, so that a consumer awaits the reader itself with no async method of the
/// owner's in between: a paced stream waits once per event, and every async layer between the socket and the client is
/// one more resumption per event.
/// </summary>
public interface ISseFrameReaderOwner
{
    /// <summary>A whole event was read (an idle timeout counts from here).</summary>
    void EventRead();

    /// <summary>
    /// A read failed with <paramref name="exception"/>: true when the owner takes that as the stream's end (it records
    /// why; <see cref="SseFrameReader.MoveNextAsync"/> returns false, now and after), false to let the exception go.
    /// </summary>
    bool EndsStream(Exception exception);
}
