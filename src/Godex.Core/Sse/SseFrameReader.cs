using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using Godex.Core.Buffers;

namespace Godex.Core.Sse;

/// <summary>
/// The one SSE framing godex has: reads an upstream body into a pooled buffer and hands out whole events
/// (<see cref="SseFrame"/>) as views of it, for the translated paths (which parse each event's data) and the relays
/// (which forward each event's bytes) alike.
/// </summary>
/// <remarks>
/// Framing follows the HTML spec: lines end with CR, LF or CRLF; an empty line dispatches the event; <c>data:</c> lines
/// are joined with LF; comment lines, <c>id:</c> and <c>retry:</c> are read over; an event without data is not
/// dispatched (keep-alive comments never reach a consumer). One deliberate leniency: an upstream that closes right
/// after its last line, without the blank line that dispatches it, still has that event delivered (with the blank
/// line added to <see cref="SseFrame.Raw"/>), because recorded real streams end that way and a client's own parser
/// would otherwise drop the final <c>response.completed</c> (and the recorded Anthropic streams end their last line
/// without even a line end). A truncated last event is delivered the same way: it is the consumers' JSON check that
/// rejects it, on every path alike.
/// <para>
/// The buffer is rented when bytes arrive and given back whenever every byte in it has been handed out: between reads
/// the reader waits with a zero-byte read, holding no buffer. A paced stream spends nearly all its life waiting, so a
/// thousand open streams share a few pooled buffers instead of holding 16 KiB each (bench (g): the per-stream buffer
/// was a third of what a stream kept alive, and the collections of a burst of new streams copied every one of them).
/// </para>
/// </remarks>
public sealed class SseFrameReader : IDisposable
{
    /// <summary>The largest single event accepted. <value>The default value is 16 MiB.</value></summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    private const int InitialBufferBytes = 16 * 1024;

    private readonly Stream _stream;
    private readonly int _maxFrameBytes;
    private readonly ISseFrameReaderOwner? _owner;
    private byte[] _buffer;
    private bool _failed; // the owner took a failed read as the end
    private int _start;
    private int _filled;
    private int _scanned;
    private bool _ended;
    private bool _atStart = true;
    private int _mark = -1;
    private int _currentStart; // where Current's bytes start in the buffer
    private int _currentEnd; // and end (the look ahead may have read past them)
    private int _heldStart = -1;
    private int _heldEnd;
    private int _nextEnd = -1; // where the event at _start ends, once a look ahead found it
    private (string EventType, ReadOnlyMemory<byte> Data) _nextFields; // its fields, read by the look ahead

    // The line ends EventEnd found in the event at _start (buffer positions, rising), so that reading the event's fields
    // does not search its lines a second time; past the first MaxLineEnds lines the fields' reading searches itself.
    private const int MaxLineEnds = 8;
    private readonly int[] _lineEnds = new int[MaxLineEnds];
    private int _lineEndCount;

    /// <param name="stream">The body to read.</param>
    /// <param name="maxFrameBytes">The largest single event accepted.</param>
    /// <param name="owner">Told of every event read and of a failed read (which it may take as the end); none: a failed read throws.</param>
    public SseFrameReader(Stream stream, int maxFrameBytes = DefaultMaxFrameBytes, ISseFrameReaderOwner? owner = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 1024);
        _stream = stream;
        _maxFrameBytes = maxFrameBytes;
        _owner = owner;
        _buffer = [];
    }

    /// <summary>The frame <see cref="MoveNextAsync"/> found; its memory is valid until the next call.</summary>
    public SseFrame Current { get; private set; }

    /// <summary>
    /// Moves to the next event with data. False when the stream ended (or failed, when the owner took the failure as
    /// its end). Otherwise throws what the stream throws, and <see cref="InvalidDataException"/> when one event grows
    /// past the size limit.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // once per upstream read: no box per call
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_failed)
        {
            return false;
        }

        try
        {
            while (true)
            {
                bool lookedAhead = _nextEnd > _start;
                int length = EventEnd();
                if (length > 0)
                {
                    ReadOnlyMemory<byte> raw = _buffer.AsMemory(_start, length);
                    (string eventType, ReadOnlyMemory<byte> data) = lookedAhead ? _nextFields : ReadFields(raw, _lineEnds.AsSpan(0, _lineEndCount), _start);
                    _currentStart = _start;
                    _start += length;
                    _currentEnd = _start;
                    _scanned = _start;
                    _lineEndCount = 0;
                    if (!data.IsEmpty)
                    {
                        Current = new SseFrame(eventType, raw, data, endsRead: !LookAheadForEvent());
                        _owner?.EventRead();
                        return true;
                    }

                    continue;
                }

                if (_ended)
                {
                    bool last = TryTakeUnterminatedLast();
                    if (last)
                    {
                        _owner?.EventRead();
                    }

                    return last;
                }

                // The reads are awaited here rather than in a method of their own: a paced stream waits once per
                // event, and every async layer between the socket and the consumer is one more resumption per event.
                if (MakeRoom())
                {
                    // Nothing to keep: wait for the next bytes without a buffer (streams that cannot wait that way
                    // answer a zero-byte read at once, and the read below waits instead).
                    ReleaseBuffer();
                    _ = await _stream.ReadAsync(Memory<byte>.Empty, cancellationToken);
                    _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
                }

                Filled(await _stream.ReadAsync(_buffer.AsMemory(_filled, Math.Min(_buffer.Length, _maxFrameBytes) - _filled), cancellationToken));
            }
        }
        catch (Exception ex) when (_owner is not null)
        {
            if (!_owner.EndsStream(ex))
            {
                throw;
            }

            _failed = true;
            return false;
        }
    }

    /// <summary>
    /// Marks the position before the next event: the events read from here on stay in the buffer (it grows rather
    /// than compacting them away) until <see cref="Rewind"/> hands them out again. The send path uses it to look at a
    /// stream's first events without taking them from its consumer.
    /// </summary>
    public void Mark() => _mark = _start;

    /// <summary>The bytes of the events read since <see cref="Mark"/>.</summary>
    public int MarkedBytes => _mark < 0 ? 0 : _start - _mark;

    /// <summary>Goes back to the <see cref="Mark"/>: the next <see cref="MoveNextAsync"/> returns the first event read after it.</summary>
    public void Rewind()
    {
        if (_mark < 0)
        {
            throw new InvalidOperationException("Rewind without Mark");
        }

        _start = _mark;
        _scanned = _mark;
        _mark = -1;
        _nextEnd = -1;
        _lineEndCount = 0;
    }

    /// <summary>
    /// Keeps <see cref="Current"/> in the buffer past the next <see cref="MoveNextAsync"/>, with every event held after
    /// it, until <see cref="TakeHeld"/>: a relay holds a stream's first events back without copying them, and gathers
    /// the events of one read into one write. False for the stream's unterminated last event (a copy, not in the
    /// buffer): its consumer takes the held events and then that one.
    /// </summary>
    public bool HoldCurrent()
    {
        if (_currentStart < 0)
        {
            return false;
        }

        if (_heldStart < 0)
        {
            _heldStart = _currentStart;
        }

        _heldEnd = _currentEnd;
        return true;
    }

    /// <summary>
    /// The bytes of the held events as they came (from the first one's start through the last one's end, comment lines
    /// between them included), valid until the next <see cref="MoveNextAsync"/>; holding ends. Empty when none is held.
    /// </summary>
    public ReadOnlyMemory<byte> TakeHeld()
    {
        if (_heldStart < 0)
        {
            return default;
        }

        ReadOnlyMemory<byte> held = _buffer.AsMemory(_heldStart, _heldEnd - _heldStart);
        _heldStart = -1;
        return held;
    }

    public void Dispose() => ReleaseBuffer();

    private void ReleaseBuffer()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            BoundedArrayPool.Return(buffer);
        }
    }

    /// <summary>
    /// Before a read: compacts the buffer (the frames handed out so far are no longer valid, as documented on
    /// <see cref="Current"/>; marked and held ones are kept) and grows it when one event fills it. True when nothing is
    /// buffered, so the next bytes can be awaited without a buffer.
    /// </summary>
    private bool MakeRoom()
    {
        int keep = Math.Min(_mark >= 0 ? _mark : _start, _heldStart >= 0 ? _heldStart : _start);
        if (keep > 0)
        {
            int remaining = _filled - keep;
            _buffer.AsSpan(keep, remaining).CopyTo(_buffer);
            _scanned -= keep;
            _nextEnd = -1;
            for (int line = 0; line < _lineEndCount; line++)
            {
                _lineEnds[line] -= keep;
            }

            _start -= keep;
            _currentStart -= keep;
            _currentEnd -= keep;
            _filled = remaining;
            if (_mark >= 0)
            {
                _mark -= keep;
            }

            if (_heldStart >= 0)
            {
                _heldStart -= keep;
                _heldEnd -= keep;
            }
        }

        if (_filled == 0)
        {
            return true;
        }

        if (_filled == Math.Min(_buffer.Length, _maxFrameBytes))
        {
            if (_filled >= _maxFrameBytes)
            {
                throw new InvalidDataException($"an event grew past {_maxFrameBytes} bytes without ending");
            }

            byte[] larger = BoundedArrayPool.Rent(Math.Min(_buffer.Length * 2, _maxFrameBytes));
            _buffer.AsSpan(0, _filled).CopyTo(larger);
            BoundedArrayPool.Return(_buffer);
            _buffer = larger;
        }

        return false;
    }

    /// <summary>After a read of <paramref name="read"/> bytes into the free end of the buffer (0: the stream ended).</summary>
    private void Filled(int read)
    {
        if (read == 0)
        {
            _ended = true;
            return;
        }

        if (_atStart)
        {
            _atStart = false;
            if (_buffer.AsSpan(0, read).StartsWith("\uFEFF"u8))
            {
                _start = 3; // Spec: one leading byte order mark is ignored.
                _scanned = 3;
                if (_mark >= 0)
                {
                    _mark = 3;
                }
            }
        }

        _filled += read;
    }

    /// <summary>
    /// True when another whole event with data is already buffered (its fields read and kept for the next
    /// <see cref="MoveNextAsync"/>). Whole events without data before it (comments, keep-alives) are read over here, so
    /// that one arriving right after an event never keeps that event's <see cref="SseFrame.EndsRead"/> false (and the
    /// relay from sending it) until the upstream's next bytes.
    /// </summary>
    private bool LookAheadForEvent()
    {
        int length;
        while ((length = EventEnd()) > 0)
        {
            _nextFields = ReadFields(_buffer.AsMemory(_start, length), _lineEnds.AsSpan(0, _lineEndCount), _start);
            if (!_nextFields.Data.IsEmpty)
            {
                return true;
            }

            _start += length;
            _scanned = _start;
            _lineEndCount = 0;
        }

        return false;
    }

    /// <summary>Length of the first whole event at <c>_start</c> (through its blank line), 0 when none is whole yet.</summary>
    private int EventEnd()
    {
        if (_nextEnd > _start)
        {
            return _nextEnd - _start; // found by the look ahead that told the previous event whether it ended the read
        }

        ReadOnlySpan<byte> data = _buffer.AsSpan(0, _filled);

        // Resume where the last scan stopped (one byte back: a CR at the end may be half of a CRLF).
        int offset = Math.Max(_start, _scanned - 1);
        while (true)
        {
            int found = IndexOfLineEnd(data[offset..]);
            if (found < 0)
            {
                _scanned = _filled;
                return 0;
            }

            int i = offset + found;
            if (i + 1 >= data.Length)
            {
                _scanned = i;
                return 0;
            }

            // A resumed scan starts a byte back and may meet a line end again: each is kept once.
            if (_lineEndCount < MaxLineEnds && (_lineEndCount == 0 || _lineEnds[_lineEndCount - 1] < i))
            {
                _lineEnds[_lineEndCount++] = i;
            }

            // An event ends at an empty line: LF LF, LF CR LF, LF CR (then not LF), CR CR, CR LF CR LF, CR LF LF.
            byte next = data[i + 1];
            if (next == (byte)'\n' && data[i] == (byte)'\n')
            {
                return Found(i + 2);
            }

            if (next == (byte)'\r')
            {
                if (i + 2 >= data.Length)
                {
                    _scanned = i;
                    return 0; // CR at the end: wait to see whether LF follows
                }

                return Found(data[i + 2] == (byte)'\n' ? i + 3 : i + 2);
            }

            if (data[i] == (byte)'\r' && next == (byte)'\n' && i + 2 < data.Length && data[i + 2] == (byte)'\n')
            {
                return Found(i + 3);
            }

            offset = i + 1;
        }
    }

    private int Found(int end)
    {
        _nextEnd = end;
        return end - _start;
    }

    /// <summary>
    /// The stream ended without the blank line after its last event: that event is still delivered, with the blank
    /// line added. A last line cut midway is delivered too; its data then is not the JSON a consumer expects, so the
    /// consumer's check (not the framing) turns a truncated event into an error.
    /// </summary>
    private bool TryTakeUnterminatedLast()
    {
        int remaining = _filled - _start;
        if (remaining == 0)
        {
            return false;
        }

        // LF after a last LF makes the blank line; after a last CR, or no line end at all, it takes two.
        ReadOnlySpan<byte> blank = _buffer[_filled - 1] == (byte)'\n' ? "\n"u8 : "\n\n"u8;
        byte[] last = new byte[remaining + blank.Length];
        _buffer.AsSpan(_start, remaining).CopyTo(last);
        blank.CopyTo(last.AsSpan(remaining));
        _start = _filled;
        _currentStart = -1;
        _lineEndCount = 0;
        (string eventType, ReadOnlyMemory<byte> data) = ReadFields(last, [], 0);
        if (data.IsEmpty)
        {
            return false;
        }

        Current = new SseFrame(eventType, last, data, endsRead: true);
        return true;
    }

    /// <summary>
    /// The event's <c>event:</c> and <c>data:</c> fields. <paramref name="lineEnds"/> are line ends already found (buffer
    /// positions; <paramref name="rawStart"/> is where <paramref name="raw"/> starts): the lines past them are searched.
    /// </summary>
    private static (string EventType, ReadOnlyMemory<byte> Data) ReadFields(ReadOnlyMemory<byte> raw, ReadOnlySpan<int> lineEnds, int rawStart)
    {
        if (lineEnds.Length == 2 && TryReadTypicalEvent(raw, lineEnds[0] - rawStart, lineEnds[1] - rawStart) is { } typical)
        {
            return typical;
        }

        string eventType = string.Empty;
        ReadOnlyMemory<byte> data = default;
        int dataLines = 0;
        ReadOnlySpan<byte> span = raw.Span;
        int position = 0;
        int known = 0;
        while (position < span.Length)
        {
            // Past a CR LF's CR, its LF (also a line end the scan found) is part of the same line end.
            while (known < lineEnds.Length && lineEnds[known] - rawStart < position)
            {
                known++;
            }

            int lineEnd;
            if (known < lineEnds.Length)
            {
                lineEnd = lineEnds[known++] - rawStart;
            }
            else
            {
                int end = IndexOfLineEnd(span[position..]);
                lineEnd = end < 0 ? span.Length : position + end;
            }

            ReadOnlySpan<byte> line = span[position..lineEnd];
            int lineStart = position;
            position = lineEnd + (lineEnd + 1 < span.Length && span[lineEnd] == (byte)'\r' && span[lineEnd + 1] == (byte)'\n' ? 2 : 1);
            if (line.IsEmpty || line[0] == (byte)':')
            {
                continue;
            }

            // The two fields read, with their colon ("data" or "event" alone is the field with an empty value); the
            // others (id, retry, unknown names) are read over.
            int valueStart;
            if (line.StartsWith("data"u8) && (line.Length == 4 || line[4] == (byte)':'))
            {
                valueStart = ValueStart(line, 4);
                ReadOnlyMemory<byte> value = raw.Slice(lineStart + valueStart, line.Length - valueStart);
                data = dataLines == 0 ? value : Join(data, value);
                dataLines++;
            }
            else if (line.StartsWith("event"u8) && (line.Length == 5 || line[5] == (byte)':'))
            {
                valueStart = ValueStart(line, 5);
                eventType = EventTypeName(line[valueStart..]);
            }
        }

        return (eventType, data);
    }

    /// <summary>
    /// The shape of nearly every event the upstreams send, <c>event: NAME</c> LF <c>data: JSON</c> LF LF, read with a few
    /// compares (the general reading is several times the instructions, bench (c)); null for any other shape.
    /// </summary>
    private static (string EventType, ReadOnlyMemory<byte> Data)? TryReadTypicalEvent(ReadOnlyMemory<byte> raw, int firstEnd, int secondEnd)
    {
        ReadOnlySpan<byte> span = raw.Span;
        if (secondEnd + 2 != span.Length || span[secondEnd + 1] != (byte)'\n' || span[secondEnd] != (byte)'\n' || span[firstEnd] != (byte)'\n'
            || !span.StartsWith("event: "u8) || !span[(firstEnd + 1)..].StartsWith("data: "u8))
        {
            return null;
        }

        int dataStart = firstEnd + 1 + "data: ".Length;
        return (EventTypeName(span["event: ".Length..firstEnd]), raw[dataStart..secondEnd]);
    }

    /// <summary>Where the value of a field <paramref name="nameLength"/> bytes long starts: past its colon and one space.</summary>
    private static int ValueStart(ReadOnlySpan<byte> line, int nameLength) =>
        line.Length == nameLength ? nameLength : line.Length > nameLength + 1 && line[nameLength + 1] == (byte)' ' ? nameLength + 2 : nameLength + 1;

    /// <summary>
    /// The index of the first CR or LF in <paramref name="span"/>, or -1: <c>IndexOfAny</c> of the two, 16 bytes at a time
    /// inline. An event's lines are short (tens to hundreds of bytes), so the general search's setup per call was the
    /// larger part of its cost (callgrind, bench (c)).
    /// </summary>
    private static int IndexOfLineEnd(ReadOnlySpan<byte> span)
    {
        ref byte first = ref MemoryMarshal.GetReference(span);
        Vector128<byte> lf = Vector128.Create((byte)'\n');
        Vector128<byte> cr = Vector128.Create((byte)'\r');
        int i = 0;
        for (; i <= span.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            Vector128<byte> block = Vector128.LoadUnsafe(ref first, (nuint)i);
            uint found = (Vector128.Equals(block, lf) | Vector128.Equals(block, cr)).ExtractMostSignificantBits();
            if (found != 0)
            {
                return i + BitOperations.TrailingZeroCount(found);
            }
        }

        for (; i < span.Length; i++)
        {
            if (span[i] is (byte)'\n' or (byte)'\r')
            {
                return i;
            }
        }

        return -1;
    }

    private static ReadOnlyMemory<byte> Join(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> next)
    {
        byte[] joined = new byte[first.Length + 1 + next.Length];
        first.Span.CopyTo(joined);
        joined[first.Length] = (byte)'\n';
        next.Span.CopyTo(joined.AsSpan(first.Length + 1));
        return joined;
    }

    // The event names the upstreams send, so that naming an event allocates nothing.
    private static readonly string[] s_knownTypes =
    [
        "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
        "response.content_part.added", "response.content_part.done", "response.output_text.delta", "response.output_text.done",
        "response.reasoning_summary_part.added", "response.reasoning_summary_part.done", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_text.delta", "response.reasoning_text.done",
        "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done", "response.refusal.delta", "response.refusal.done", "response.completed",
        "response.incomplete", "response.failed", "error", "message_start", "content_block_start", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop", "ping", "message",
    ];

    // Known names by their length: naming an event costs a comparison or two, not a walk through the whole list.
    private static readonly (byte[] Utf8, string Name)[][] s_knownTypesByLength = KnownTypesByLength();

    private static (byte[] Utf8, string Name)[][] KnownTypesByLength()
    {
        var byLength = new (byte[] Utf8, string Name)[s_knownTypes.Max(t => t.Length) + 1][];
        for (int length = 0; length < byLength.Length; length++)
        {
            byLength[length] = [.. s_knownTypes.Where(t => t.Length == length).Select(t => (Encoding.UTF8.GetBytes(t), t))];
        }

        return byLength;
    }

    private static string EventTypeName(ReadOnlySpan<byte> name)
    {
        if (name.Length < s_knownTypesByLength.Length)
        {
            foreach ((byte[] utf8, string known) in s_knownTypesByLength[name.Length])
            {
                if (name.SequenceEqual(utf8))
                {
                    return known;
                }
            }
        }

        return Encoding.UTF8.GetString(name);
    }
}
