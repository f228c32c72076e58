using System.Text;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Sse;

/// <summary>How an upstream body is cut into events, and where a relay may flush.</summary>
public sealed class SseFrameReaderTests
{
    /// <summary>A body that hands out its bytes in the given chunks, one per read, like a socket.</summary>
    private sealed class ChunkedStream(params string[] chunks) : Stream
    {
        private Queue<byte[]> _chunks = new(chunks.Select(Encoding.UTF8.GetBytes));

        /// <summary>The size of the buffer each read was given, in order.</summary>
        public List<int> ReadSizes { get; } = [];

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ReadSizes.Add(count);
            if (!_chunks.TryPeek(out byte[]? chunk))
            {
                return 0;
            }

            int length = Math.Min(count, chunk.Length);
            chunk.AsSpan(0, length).CopyTo(buffer.AsSpan(offset));
            _chunks.Dequeue();
            if (length < chunk.Length)
            {
                _chunks = new Queue<byte[]>(_chunks.Prepend(chunk[length..]));
            }

            return length;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<List<SseFrame>> ReadAllAsync(Stream body, int maxFrameBytes = SseFrameReader.DefaultMaxFrameBytes)
    {
        using var reader = new SseFrameReader(body, maxFrameBytes);
        var frames = new List<SseFrame>();
        while (await reader.MoveNextAsync(TestContext.Current.CancellationToken))
        {
            frames.Add(reader.Current.Detached()); // a view of the read buffer until the next frame
        }

        return frames;
    }

    /// <summary>An owner that counts the events read and takes an <see cref="IOException"/> as the end (or not).</summary>
    private sealed class CountingOwner(bool endsOnFailure) : ISseFrameReaderOwner
    {
        public int EventsRead { get; private set; }

        public List<Exception> Failures { get; } = [];

        public void EventRead() => EventsRead++;

        public bool EndsStream(Exception exception)
        {
            Failures.Add(exception);
            return endsOnFailure && exception is IOException;
        }
    }

    /// <summary>A body that hands out its bytes, then breaks.</summary>
    private sealed class BreakingStream(string bytes) : Stream
    {
        private readonly MemoryStream _bytes = new(Encoding.UTF8.GetBytes(bytes));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            count == 0 || _bytes.Position < _bytes.Length ? _bytes.Read(buffer, offset, count) : throw new IOException("connection reset");

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task AnOwner_HearsOfEveryEvent_AndMayTakeABrokenBodyAsTheEnd()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var owner = new CountingOwner(endsOnFailure: true);
        using var reader = new SseFrameReader(new BreakingStream("data: 1\n\n: keep-alive\n\ndata: 2\n\n"), owner: owner);

        Assert.True(await reader.MoveNextAsync(cancellationToken));
        Assert.True(await reader.MoveNextAsync(cancellationToken));
        Assert.Equal(2, owner.EventsRead); // the comment is no event
        Assert.False(await reader.MoveNextAsync(cancellationToken)); // the break, taken as the end
        Assert.False(await reader.MoveNextAsync(cancellationToken)); // and the end stays
        Assert.IsType<IOException>(Assert.Single(owner.Failures));
    }

    [Fact]
    public async Task AnOwner_ThatDoesNotTakeAFailure_LetsItThrow()
    {
        var owner = new CountingOwner(endsOnFailure: false);
        using var reader = new SseFrameReader(new BreakingStream("data: 1\n\n"), owner: owner);

        Assert.True(await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<IOException>(async () => await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        Assert.Single(owner.Failures);
    }

    [Fact]
    public async Task EventsThatArriveTogether_EndTheRead_OnlyAtTheLastOfThem()
    {
        const string Created = "event: response.created\ndata: {\"type\":\"response.created\"}\n\n";
        const string Delta = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n";
        const string Completed = "event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n";

        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream(Created + Delta, Delta + Completed[..10], Completed[10..]));

        Assert.Equal(["response.created", "response.output_text.delta", "response.output_text.delta", "response.completed"], frames.Select(e => e.EventType));
        Assert.Equal([false, true, true, true], frames.Select(e => e.EndsRead));
        Assert.Equal(Created + Delta + Delta + Completed, string.Concat(frames.Select(e => Encoding.UTF8.GetString(e.Raw.Span))));
    }

    [Theory]
    [InlineData(": ping\n\n")]
    [InlineData("event: ping\n\n: keep-alive\n\n")]
    [InlineData("data:\n\n")]
    public async Task AnEventFollowedInItsReadOnlyByEventsWithoutData_EndsTheRead(string noData)
    {
        // What follows in the same read is never dispatched: the event before it must be sendable now, not when the
        // upstream's next bytes come.
        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream("data: a\n\n" + noData, "data: b\n\n" + noData + "data: c\n\n"));

        Assert.Equal(["a", "b", "c"], frames.Select(f => Encoding.UTF8.GetString(f.Data.Span)));
        Assert.Equal([true, false, true], frames.Select(f => f.EndsRead));
    }

    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", "a|b")]
    [InlineData("event: x\r\ndata: a\r\n\r\n", "a")]
    [InlineData("data: a\r\rdata: b\r\r", "a|b")]
    [InlineData("data: a\n\r\ndata: b\n\n", "a|b")]
    [InlineData("data: a\ndata: b\n\n", "a\nb")] // two data lines, joined with LF
    [InlineData(": keep-alive\n\ndata: a\n\n", "a")] // a comment alone is no event
    [InlineData("event: ping\n\ndata: a\n\n", "a")] // no data: not dispatched
    [InlineData("data:a\n\n", "a")] // the space after the colon is optional
    [InlineData("\uFEFFdata: a\n\n", "a")] // a leading byte order mark is ignored
    [InlineData("data\ndata: b\n\n", "\nb")] // a field name alone is the field with an empty value
    [InlineData("datum: x\ndatas: y\ndata:  z\n\n", " z")] // other names are read over; only one space is removed
    public async Task Framing_FollowsTheSpec_InEveryLineEnding(string body, string expected)
    {
        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream(body));

        Assert.Equal(expected, string.Join('|', frames.Select(f => Encoding.UTF8.GetString(f.Data.Span))));
    }

    [Theory]
    [InlineData("data: a\n\n", "data: b\r\n\r\n", "data: c\n\n", "a|b|c")] // LF alone, then a CR in a later read
    [InlineData("data: a\n", "\ndata: b\r", "\rdata: c\n\n", "a|b|c")] // an LF LF split across reads, then CR alone
    [InlineData("data: a\n\nda", "ta: b\n", "data: c\r\n\n", "a|b\nc")] // a CR where the last scan left off
    [InlineData("data: 0123456789abcdefghij0123456789\r", "data: klmnopqrstuvwxyz0123456789abcdef\r\r", "data: c\n\n", "0123456789abcdefghij0123456789\nklmnopqrstuvwxyz0123456789abcdef|c")] // line ends past 16 bytes
    public async Task Framing_HoldsAcrossReads_WhenLineEndsChangeMidStream(string first, string second, string third, string expected)
    {
        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream(first, second, third));

        Assert.Equal(expected, string.Join('|', frames.Select(f => Encoding.UTF8.GetString(f.Data.Span))));
    }

    [Theory]
    [InlineData("event: x\r\ndata: 1\r\n: note\r\ndata: 2\r\nid: 7\r\ndata: 3\r\ndata: 4\r\nretry: 5\r\ndata: 5\r\ndata: 6\r\ndata: 7\r\n\r\nevent: y\ndata: z\n\n", "x:1\n2\n3\n4\n5\n6\n7|y:z")]
    [InlineData("data: a\rdata: b\rdata: c\rdata: d\rdata: e\rdata: f\rdata: g\rdata: h\rdata: i\rdata: j\r\r", ":a\nb\nc\nd\ne\nf\ng\nh\ni\nj")]
    [InlineData("event: p\n\n: c\n\nevent: q\ndata: {\"k\": 1}\n\ndata: r\r\n\r\n", "q:{\"k\": 1}|:r")]
    public async Task FieldsAreTheSame_WhateverTheReadsCutAndHowManyLinesAnEventHas(string body, string expected)
    {
        // The framing keeps the line ends it finds for the fields' reading (up to eight an event, past them the fields'
        // reading searches): cut anywhere, with more lines than that, the frames are those of one whole read.
        List<SseFrame> whole = await ReadAllAsync(new ChunkedStream(body));
        Assert.Equal(expected, string.Join('|', whole.Select(f => $"{f.EventType}:{Encoding.UTF8.GetString(f.Data.Span)}")));
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        for (int size = 1; size < bytes.Length; size++)
        {
            string[] chunks = [.. bytes.Chunk(size).Select(c => Encoding.UTF8.GetString(c))];
            List<SseFrame> cut = await ReadAllAsync(new ChunkedStream(chunks));
            Assert.Equal(Describe(whole), Describe(cut));
        }

        static string Describe(List<SseFrame> frames) =>
            string.Join('|', frames.Select(f => $"{f.EventType}:{Encoding.UTF8.GetString(f.Data.Span)}:{Encoding.UTF8.GetString(f.Raw.Span)}"));
    }

    [Theory]
    [InlineData("data: a\n\ndata: b\n", "data: b\n\n")] // closed after the last line without the blank line: still whole
    [InlineData("data: a\n\ndata: b\r", "data: b\r\n\n")]
    public async Task ALastEventWithoutItsBlankLine_IsDelivered_WithTheBlankLineAdded(string body, string lastRaw)
    {
        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream(body));

        Assert.Equal(2, frames.Count);
        Assert.Equal(lastRaw, Encoding.UTF8.GetString(frames[1].Raw.Span));
    }

    [Fact]
    public async Task ALastLineWithoutItsLineEnd_IsDelivered_ForTheConsumerToJudge()
    {
        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream("data: a\n\ndata: {\"trunc"));

        Assert.Equal(2, frames.Count);
        Assert.Equal("{\"trunc", Encoding.UTF8.GetString(frames[1].Data.Span));
        Assert.Equal("data: {\"trunc\n\n", Encoding.UTF8.GetString(frames[1].Raw.Span));
    }

    [Fact]
    public async Task AnEventSplitAcrossManyReads_IsOneFrame()
    {
        string data = new('x', 100_000);
        string body = "data: " + data + "\n\n";
        string[] chunks = Enumerable.Range(0, (body.Length + 999) / 1000).Select(i => body.Substring(i * 1000, Math.Min(1000, body.Length - (i * 1000)))).ToArray();

        List<SseFrame> frames = await ReadAllAsync(new ChunkedStream(chunks));

        Assert.Equal(data, Encoding.UTF8.GetString(Assert.Single(frames).Data.Span));
    }

    [Fact]
    public async Task AnEventLargerThanTheLimit_Throws()
    {
        string body = "data: " + new string('x', 10_000) + "\n\n";

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(new ChunkedStream(body), maxFrameBytes: 4096));
    }

    // A first event that fits one small read, or (for the large chunk size) one large enough to make the buffer grow.
    private static string FirstEvent(int chunkSize) =>
        "event: response.created\ndata: {\"pad\":\"" + new string('p', chunkSize > 1000 ? 30_000 : 10) + "\"}\n\n";

    private static SseFrameReader ReaderOver(string body, int chunkSize) =>
        new(new ChunkedStream([.. body.Chunk(chunkSize).Select(c => new string(c))]));

    [Theory]
    [InlineData(1)] // the peeked events in the first read
    [InlineData(7)] // a read per few bytes: the buffer compacts while events are marked
    [InlineData(40_000)] // a large first event: the buffer grows under the mark
    public async Task RewindAfterMark_HandsOutThePeekedEventsAgain_ByteForByte(int chunkSize)
    {
        string big = FirstEvent(chunkSize);
        string body = "\uFEFF" + big + ": keep-alive\n\ndata: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n";
        using SseFrameReader reader = ReaderOver(body, chunkSize);
        CancellationToken token = TestContext.Current.CancellationToken;

        reader.Mark();
        Assert.True(await reader.MoveNextAsync(token));
        Assert.True(await reader.MoveNextAsync(token));
        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString(reader.Current.Data.Span));
        Assert.True(reader.MarkedBytes > big.Length);
        reader.Rewind();

        var raw = new StringBuilder();
        while (await reader.MoveNextAsync(token))
        {
            raw.Append(Encoding.UTF8.GetString(reader.Current.Raw.Span));
        }

        Assert.Equal(big + "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n", raw.ToString());
    }

    [Theory]
    [InlineData(1)] // the held events in the first read
    [InlineData(7)] // a read per few bytes: the buffer compacts while events are held
    [InlineData(40_000)] // a large first event: the buffer grows under the hold
    public async Task HeldEvents_StayInTheBuffer_AndComeOutByteForByte(int chunkSize)
    {
        string big = FirstEvent(chunkSize);
        string second = "event: response.in_progress\r\ndata: {\"n\":0}\r\n\r\n";
        string body = "\uFEFF: hello\n\n" + big + ": keep-alive\n\n" + second + ": between\n\ndata: {\"n\":1}\n\ndata: {\"n\":2}\n\n";
        using SseFrameReader reader = ReaderOver(body, chunkSize);
        CancellationToken token = TestContext.Current.CancellationToken;

        Assert.True(await reader.MoveNextAsync(token));
        reader.HoldCurrent();
        Assert.True(await reader.MoveNextAsync(token));
        reader.HoldCurrent();
        Assert.True(await reader.MoveNextAsync(token));
        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString(reader.Current.Data.Span));

        // From the first held event's start through the last one's end: what came between them included, nothing before.
        Assert.Equal(big + ": keep-alive\n\n" + second, Encoding.UTF8.GetString(reader.TakeHeld().Span));
        Assert.Equal("data: {\"n\":1}\n\n", Encoding.UTF8.GetString(reader.Current.Raw.Span));
        Assert.True(reader.TakeHeld().IsEmpty); // holding ended
        Assert.True(await reader.MoveNextAsync(token));
        Assert.Equal("{\"n\":2}", Encoding.UTF8.GetString(reader.Current.Data.Span));
        Assert.False(await reader.MoveNextAsync(token));
    }

    [Fact]
    public async Task BetweenReads_TheReaderWaitsWithAZeroByteRead_HoldingNoBuffer_UnlessPartOfAnEventIsBuffered()
    {
        // A paced stream waits far longer than it reads: a reader that has handed out every byte it read waits for the
        // next ones without a buffer (the upstream's zero-byte read), so that open streams do not each hold one.
        const string First = "event: a\ndata: {\"n\":1}\n\n";
        const string Second = "event: b\ndata: {\"n\":2}\n\n";
        var body = new ChunkedStream(First, Second[..10], Second[10..]);
        using var reader = new SseFrameReader(body);

        Assert.True(await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        Assert.Equal([0, 16 * 1024], body.ReadSizes); // waited without a buffer, then read into one
        Assert.True(await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        Assert.Equal("b", reader.Current.EventType);
        // After the first event: nothing left, so a zero-byte wait; after half of the second: the buffer stays for the rest.
        Assert.Equal([0, 16 * 1024, 0, 16 * 1024, 16 * 1024 - 10], body.ReadSizes);
        Assert.False(await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, body.ReadSizes[5]);
    }

    [Fact]
    public void Rewind_WithoutMark_Throws()
    {
        using var reader = new SseFrameReader(new ChunkedStream("data: a\n\n"));

        Assert.Throws<InvalidOperationException>(reader.Rewind);
    }
}
