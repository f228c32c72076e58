namespace Godex.Backends.Anthropic;

/// <summary>
/// A read-only view of an SSE body that yields one extra blank line (<c>\n\n</c>) after the inner stream ends.
/// <para>
/// Spec: at end of file a pending event is discarded (HTML, "Interpreting an event stream"), and the runtime's
/// <c>SseParser</c> does so. The official Anthropic SDKs flush it instead, and recorded streams (the SDK fixtures) end
/// with <c>data: {"type":"message_stop"}</c> and no blank line. Terminating the body keeps that last event, so such a
/// stream completes instead of ending in a false "no message_stop" error. A body cut mid-line still fails: the partial
/// JSON does not parse and the parser reports it.
/// </para>
/// </summary>
internal sealed class EofTerminatedStream(Stream inner) : Stream
{
    private static ReadOnlySpan<byte> Terminator => "\n\n"u8;

    private int _terminatorWritten = -1;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_terminatorWritten < 0)
        {
            int read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                return read;
            }

            _terminatorWritten = 0;
        }

        return WriteTerminator(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        if (_terminatorWritten < 0)
        {
            int read = inner.Read(buffer, offset, count);
            if (read > 0)
            {
                return read;
            }

            _terminatorWritten = 0;
        }

        return WriteTerminator(buffer.AsSpan(offset, count));
    }

    private int WriteTerminator(Span<byte> destination)
    {
        ReadOnlySpan<byte> rest = Terminator[_terminatorWritten..];
        int count = Math.Min(rest.Length, destination.Length);
        rest[..count].CopyTo(destination);
        _terminatorWritten += count;
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
