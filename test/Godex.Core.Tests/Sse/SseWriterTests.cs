using System.Text;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Sse;

public sealed class SseWriterTests
{
    [Fact]
    public async Task Write_EventsAndDone_ProducesExactFrames()
    {
        var body = new MemoryStream();
        using var writer = new SseWriter(body);

        await writer.WriteAsync("message_start", json => { json.WriteStartObject(); json.WriteString("type", "message_start"); json.WriteEndObject(); }, TestContext.Current.CancellationToken);
        await writer.WriteAsync(null, json => { json.WriteStartObject(); json.WriteString("text", "héllo <b>"); json.WriteEndObject(); }, TestContext.Current.CancellationToken);
        await writer.WriteCommentAsync("keep-alive", TestContext.Current.CancellationToken);
        await writer.WriteDoneAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\ndata: {\"text\":\"héllo <b>\"}\n\n: keep-alive\n\ndata: [DONE]\n\n",
            Encoding.UTF8.GetString(body.ToArray()));
    }
}
