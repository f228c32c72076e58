using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Godex.Core.Sse;

/// <summary>
/// Reads server-sent events from an upstream body. Framing follows the HTML spec via the runtime's
/// <see cref="SseParser"/>: multi-line <c>data:</c> joined with LF, comment lines and <c>id:</c>/<c>retry:</c> skipped,
/// CR, LF and CRLF line ends, lines of any length (the original's 1 MiB cap broke long tool arguments).
/// Events with empty data are skipped; <c>[DONE]</c> is returned so that callers can tell a clean end.
/// </summary>
/// <remarks>
/// One deliberate leniency: an upstream that closes right after its last <c>data:</c> line, without the blank line
/// that dispatches it, still has that event delivered (the spec would discard it). Recorded real streams end that
/// way, and dropping a final <c>response.completed</c> would turn a good answer into an error. A truncated last
/// event still fails downstream, where its JSON does not parse.
/// </remarks>
public static class SseEventReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = new TerminatedStream(stream);
        SseParser<ReadOnlyMemory<byte>> parser = SseParser.Create(body, static (_, data) => (ReadOnlyMemory<byte>)data.ToArray());
        await foreach (SseItem<ReadOnlyMemory<byte>> item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.Data.IsEmpty)
            {
                continue;
            }

            yield return new SseEvent(item.EventType, item.Data);
        }
    }

    /// <summary>A read-only view of a stream that yields one extra blank line at its end.</summary>
    private sealed class TerminatedStream(Stream inner) : Stream
    {
        private static ReadOnlySpan<byte> Terminator => "\n\n"u8;
        private int _terminatorWritten = -1;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_terminatorWritten < 0)
            {
                int read = await inner.ReadAsync(buffer, cancellationToken);
                if (read > 0 || buffer.Length == 0)
                {
                    return read;
                }

                _terminatorWritten = 0;
            }

            int count = Math.Min(buffer.Length, Terminator.Length - _terminatorWritten);
            Terminator.Slice(_terminatorWritten, count).CopyTo(buffer.Span);
            _terminatorWritten += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
