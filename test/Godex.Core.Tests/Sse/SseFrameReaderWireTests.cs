using System.Text;
using Godex.Core.Sse;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Sse;

/// <summary>The framing against real-world wire shapes, read one byte per read.</summary>
public sealed class SseFrameReaderWireTests
{
    [Fact]
    public async Task Read_RealWorldFraming_DispatchesEachEvent()
    {
        string wire = ": a comment\r\nevent: first\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n" +
            "id: 7\nretry: 100\ndata: {\"b\":2}          \n\n" +
            "event: ping\rdata: {}\r\r" +
            "data: [DONE]\n\n";

        List<(string Type, string Data)> events = await ReadAllAsync(Encoding.UTF8.GetBytes(wire));

        Assert.Equal(
            [("first", "{\"a\":\n1}"), ("message", "{\"b\":2}          "), ("ping", "{}"), ("message", "[DONE]")],
            events);
    }

    [Fact]
    public async Task Read_DoneSentinel_IsRecognisedWithPadding()
    {
        using var reader = new SseFrameReader(new MemoryStream("data:  [DONE] \n\n"u8.ToArray()));

        Assert.True(await reader.MoveNextAsync(TestContext.Current.CancellationToken));
        Assert.True(reader.Current.IsDone);
    }

    [Fact]
    public async Task Read_LineOverOneMebibyte_IsKeptWhole()
    {
        string big = new('x', 3 * 1024 * 1024);

        List<(string Type, string Data)> events = await ReadAllAsync(Encoding.UTF8.GetBytes("data: {\"t\":\"" + big + "\"}\n\n"));

        Assert.Equal(big.Length + 8, Assert.Single(events).Data.Length);
    }

    [Fact]
    public async Task Read_LastEventWithoutBlankLine_IsStillDelivered()
    {
        List<(string Type, string Data)> events = await ReadAllAsync("event: response.completed\ndata: {\"done\":true}\n"u8.ToArray());

        Assert.Equal([("response.completed", "{\"done\":true}")], events);
    }

    [Fact]
    public async Task Read_EmptyDataEvents_AreSkipped()
    {
        List<(string Type, string Data)> events = await ReadAllAsync("event: x\n\ndata:\n\ndata: 1\n\n"u8.ToArray());

        Assert.Equal([("message", "1")], events);
    }

    [Fact]
    public async Task Read_RecordedAnthropicStream_AllEventsArrive()
    {
        List<(string Type, string Data)> events = await ReadAllAsync(Fixtures.Bytes("anthropic-sdk-python/thinking-signature-refusal.synthetic.sse"));

        Assert.Equal("message_start", events[0].Type);
        Assert.Equal("message_stop", events[^1].Type);
        Assert.All(events, e => Assert.StartsWith("{", e.Data, StringComparison.Ordinal));
    }

    private static async Task<List<(string Type, string Data)>> ReadAllAsync(byte[] wire)
    {
        var events = new List<(string, string)>();
        // One byte per read: framing must not depend on how the upstream's bytes are chunked.
        using var reader = new SseFrameReader(new TrickleStream(wire));
        while (await reader.MoveNextAsync(TestContext.Current.CancellationToken))
        {
            SseEvent item = reader.Current.ToEvent();
            events.Add((item.EventType, Encoding.UTF8.GetString(item.Data.Span)));
        }

        return events;
    }

    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}
