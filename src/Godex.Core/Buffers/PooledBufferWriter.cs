using System.Buffers;

namespace Godex.Core.Buffers;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> of bytes over arrays rented from <see cref="BoundedArrayPool"/> (the shared pool
/// up to 1 MiB, the GC above): what
/// <see cref="ArrayBufferWriter{T}"/> does, without a fresh zeroed array per request (and per doubling). Upstream request
/// bodies and JSON answers are built in one; <see cref="Dispose"/> returns the array, after which the
/// written memory must not be used.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = 4096) =>
        _buffer = BoundedArrayPool.Rent(Math.Max(initialCapacity, 256));

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>An exact-size copy of what was written (for callers that keep it past <see cref="Dispose"/>).</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            BoundedArrayPool.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_written + needed));
        byte[] larger = BoundedArrayPool.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        BoundedArrayPool.Return(_buffer);
        _buffer = larger;
    }
}
