using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Dialects.ChatCompletions;

/// <summary>
/// A chat stream's content chunks are written from a prefix rendered once per stream, the token's text and a fixed
/// suffix (<see cref="ChatCompletionsJsonWriter.ContentChunkPrefix"/>): the bytes must be those of the chunk written
/// property by property, for every text a model can send (escapes, non-ASCII, control and line-separator characters),
/// on the one-span path a text that needs no escaping takes and on the writer's path alike.
/// </summary>
public sealed class ChatCompletionsContentChunkTests
{
    public static TheoryData<string> Texts => new()
    {
        "Hello",
        " world",
        "quote \" backslash \\ slash / newline \n return \r tab \t",
        "<script>alert('x') & \"y\"</script>",
        "é ü ß 中文 日本語 🙂👍🏽",
        "\u0000\u0001\u001f\u007f",
        "line\u2028separator\u2029paragraph",
        "\ud800 lone high, lone low \udc00",
        "\u007f delete, \u00a0 no-break space, \ufeff byte order mark, \u00ad soft hyphen",
        "a+b=c&d<e>f'g`h ~ ^ | { } [ ] % $ # @ !",
        new string('x', 1024),
        new string('é', 1000) + "🙂",
        new string('x', 5000),
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task ContentChunk_IsTheChunkWrittenPropertyByProperty(string text)
    {
        var header = new ChatCompletionHeader("chatcmpl-\"odd\"/id", 1733400000, "claude-sonnet-4-5 <é>");

        Assert.Equal(Expected(header, text), await StreamedChunkAsync(header, text));
    }

    [Fact]
    public async Task ContentChunk_ParsesBackToTheText()
    {
        const string Text = "a \"quoted\" line\nand 🙂";
        string frame = await StreamedChunkAsync(new ChatCompletionHeader("chatcmpl-1", 1, "gpt-4o"), Text);

        using JsonDocument chunk = JsonDocument.Parse(frame["data: ".Length..^2]);
        JsonElement choice = chunk.RootElement.GetProperty("choices")[0];
        Assert.Equal(Text, choice.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
        Assert.Equal("chat.completion.chunk", chunk.RootElement.GetProperty("object").GetString());
    }

    /// <summary>
    /// The chunk the stream writer writes for a text delta: the same for the first delta (after the role chunk) and a
    /// later one (the writer's path without a state machine).
    /// </summary>
    private static async Task<string> StreamedChunkAsync(ChatCompletionHeader header, string text)
    {
        using var body = new MemoryStream();
        using (var sse = new SseWriter(body))
        {
            var writer = new ChatCompletionsStreamWriter(sse, header, includeUsage: false);
            Assert.False(await writer.WriteAsync(new TextDeltaEvent(text), TestContext.Current.CancellationToken));
            Assert.False(await writer.WriteAsync(new TextDeltaEvent(text), TestContext.Current.CancellationToken));
        }

        string[] frames = Encoding.UTF8.GetString(body.ToArray()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, frames.Length); // the role chunk, then the text twice
        Assert.Equal(frames[1], frames[2]);
        return frames[2] + "\n\n";
    }

    /// <summary>The chunk as the writer's general path writes every other chunk, call by call (the recorded key order).</summary>
    private static string Expected(ChatCompletionHeader header, string text)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("id", header.Id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", header.Created);
            w.WriteString("model", header.Model);
            w.WriteNull("system_fingerprint");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            w.WriteString("content", text);
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteNull("finish_reason");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return "data: " + Encoding.UTF8.GetString(json.ToArray()) + "\n\n";
    }
}
