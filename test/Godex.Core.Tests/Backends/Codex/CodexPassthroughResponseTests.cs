using System.Net;
using System.Text;
using Godex.Core.Backends.Codex;

namespace Godex.Core.Tests.Backends.Codex;

/// <summary>How a passed-through stream is cut into events, and where a relay may flush.</summary>
public sealed class CodexPassthroughResponseTests
{
    /// <summary>A body that hands out its bytes in the given chunks, one per read, like a socket.</summary>
    private sealed class ChunkedStream(params string[] chunks) : Stream
    {
        private readonly Queue<byte[]> _chunks = new(chunks.Select(Encoding.UTF8.GetBytes));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!_chunks.TryDequeue(out byte[]? chunk))
            {
                return 0;
            }

            chunk.CopyTo(buffer, offset);
            return chunk.Length;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task EventsThatArriveTogether_FlushOnce_AtTheLastOfThem()
    {
        const string Created = "event: response.created\ndata: {\"type\":\"response.created\"}\n\n";
        const string Delta = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n";
        const string Completed = "event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n";
        var http = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new ChunkedStream(Created + Delta, Delta + Completed[..10], Completed[10..])) };
        var response = new CodexPassthroughResponse(http, TimeSpan.FromSeconds(30), TimeProvider.System);

        var events = new List<CodexPassthroughEvent>();
        await foreach (CodexPassthroughEvent item in response.ReadEventsAsync(TestContext.Current.CancellationToken))
        {
            events.Add(item.Detached()); // Raw is a view of the read buffer until the next event
        }

        Assert.Equal(["response.created", "response.output_text.delta", "response.output_text.delta", "response.completed"], events.Select(e => e.Type));
        Assert.Equal([false, true, true, true], events.Select(e => e.EndsRead));
        Assert.Equal(Created + Delta + Delta + Completed, string.Concat(events.Select(e => Encoding.UTF8.GetString(e.Raw.Span))));
    }

    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", 9)]
    [InlineData("event: x\r\ndata: a\r\n\r\nrest", 21)]
    [InlineData("data: a\r\rdata: b", 9)]
    [InlineData("data: a\n\r\n", 10)]
    [InlineData("data: a\ndata: b\n", 0)] // no blank line yet
    [InlineData("data: a\n", 0)]
    [InlineData("data: a\n\r", 0)] // CR LF not complete yet
    [InlineData("", 0)]
    public void NextEventEnd_FindsTheBlankLine_InEveryLineEnding(string data, int expected)
    {
        Assert.Equal(expected, CodexPassthroughResponse.NextEventEnd(Encoding.UTF8.GetBytes(data)));
    }
}
