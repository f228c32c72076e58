namespace Godex.Server.Tests.Hostile;

/// <summary>A body that arrives in pieces with a pause between them, as a slow client's upload does.</summary>
internal sealed class TricklingStream(int pieces, int pieceSize, TimeSpan pause) : Stream
{
    private int _sent;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_sent == pieces)
        {
            return 0;
        }

        if (_sent > 0)
        {
            await Task.Delay(pause, cancellationToken);
        }

        int count = Math.Min(pieceSize, buffer.Length);
        buffer.Span[..count].Fill((byte)' ');
        _sent++;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
