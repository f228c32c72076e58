using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Godex.Core.Json;
using Godex.TestUtilities;

namespace Godex.Core.Tests.Json;

/// <summary>
/// The relay's JSON check says yes exactly where <see cref="Utf8JsonReader"/> (default options) reads the whole span:
/// on the recorded upstream events, on hand-picked edge cases, and on thousands of mutations of both.
/// </summary>
public sealed class JsonSyntaxTests
{
    private static readonly string[] s_recordings =
    [
        "openai-responses-real/o3-reasoning-summary-text.stream.ELIDED.sse",
        "openai-responses-real/o3-function-call.stream.sse",
        "openai-python-chat-recorded/gpt-4o-refusal.sse",
        "openai-python-chat-recorded/gpt-4o-n3-multiple-choices.sse",
        "openai-python-chat-recorded/gpt-4o-parallel-tool-calls.sse",
        "openai-python-chat-recorded/gpt-4o-single-tool-call.sse",
        "anthropic-sdk-python/incomplete_partial_json_response.sse",
        "anthropic-sdk-python/refusal_response.sse",
        "anthropic-sdk-python/tool_use_response.sse",
        "anthropic-sdk-python/basic_response.sse",
    ];

    // Bytes a mutation inserts or swaps in: every JSON structural character, escapes, digits, letters of the
    // literals, whitespace, a control character, and the pieces of multi-byte UTF-8.
    private static readonly byte[] s_mutationBytes = Encoding.UTF8.GetBytes("{}[]:,\"\\/ubfnrt0123456789.-+eEaslx \t\r\n\u0001").Concat(new byte[] { 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF }).ToArray();

    [Theory]
    [InlineData("{}", true)]
    [InlineData("[]", true)]
    [InlineData(" {\"a\" : [1, -2.5e+3, 0, 0.0, 1E9, true, false, null, \"x\"]} \r\n", true)]
    [InlineData("\"only a string\"", true)]
    [InlineData("0", true)]
    [InlineData("-0.5e-7", true)]
    [InlineData("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}", true)]
    [InlineData("{\"lone\":\"\\ud800\"}", true)] // read to the end by the reader too: only GetString refuses it
    [InlineData("{\"t\":\"h\u00e9llo \u20ac \U0001F600\"}", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("{", false)]
    [InlineData("{\"a\":1,}", false)]
    [InlineData("[1,]", false)]
    [InlineData("{\"a\" 1}", false)]
    [InlineData("{a:1}", false)]
    [InlineData("{'a':1}", false)]
    [InlineData("{} {}", false)]
    [InlineData("{}x", false)]
    [InlineData("01", false)]
    [InlineData("1.", false)]
    [InlineData(".5", false)]
    [InlineData("1e", false)]
    [InlineData("-", false)]
    [InlineData("+1", false)]
    [InlineData("tru", false)]
    [InlineData("nulls", false)]
    [InlineData("NaN", false)]
    [InlineData("{\"a\":\"\\x\"}", false)]
    [InlineData("{\"a\":\"\\u12G4\"}", false)]
    [InlineData("{\"a\":\"\\u12\"}", false)]
    [InlineData("{\"a\":\"tab\there\"}", false)]
    [InlineData("{\"a\":\"never closed}", false)]
    [InlineData("/* comment */ {}", false)]
    [InlineData("data: not json", false)]
    [InlineData("<html><body>502 Bad Gateway</body></html>", false)]
    public void EdgeCases(string json, bool valid)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(valid, ReaderReadsToTheEnd(bytes));
        Assert.Equal(valid, JsonSyntax.IsValid(bytes));
    }

    [Fact]
    public void InvalidUtf8_IsRefused()
    {
        Assert.False(JsonSyntax.IsValid([(byte)'"', 0xC3, (byte)'"'])); // a lead byte without its continuation
        Assert.False(JsonSyntax.IsValid([(byte)'"', 0xFF, (byte)'"']));
        Assert.False(JsonSyntax.IsValid([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'])); // a byte order mark is not JSON either
    }

    [Theory]
    [InlineData(JsonSyntax.MaxDepth, true)]
    [InlineData(JsonSyntax.MaxDepth + 1, false)]
    public void Nesting_StopsWhereTheReaderDoes(int depth, bool valid)
    {
        string arrays = new string('[', depth) + new string(']', depth);
        string objects = string.Concat(Enumerable.Repeat("{\"k\":", depth - 1)) + "{}" + new string('}', depth - 1);
        foreach (string json in new[] { arrays, objects })
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            Assert.Equal(valid, ReaderReadsToTheEnd(bytes));
            Assert.Equal(valid, JsonSyntax.IsValid(bytes));
        }
    }

    [Fact]
    public void AStopInAString_IsFoundAtEveryPosition_InTheVectorBlocksAndTheTail()
    {
        // Strings are skipped 16 bytes at a time, the end of the span through its last 16 bytes (or byte by byte when it
        // is shorter): a quote, an escape or a control character must be seen wherever it falls, non-ASCII text (bytes
        // above 0x7F) must not stop a run, and a string the span cuts off is never closed.
        string[] stops = ["\"", "\\n", "\\u00e9", "\\q", "\n", "\u0001", "\u001f", "é", "\u007f", " "];
        for (int length = 0; length < 48; length++)
        {
            for (int at = 0; at <= length; at++)
            {
                foreach (string stop in stops)
                {
                    string text = new string('a', at) + stop + new string('b', length - at);
                    byte[] bytes = Encoding.UTF8.GetBytes("{\"k\":\"" + text + "\"}");
                    Assert.True(ReaderReadsToTheEnd(bytes) == JsonSyntax.IsValid(bytes), Encoding.UTF8.GetString(bytes));
                    byte[] value = Encoding.UTF8.GetBytes("\"" + text + "\"");
                    Assert.True(ReaderReadsToTheEnd(value) == JsonSyntax.IsValid(value), Encoding.UTF8.GetString(value));
                    byte[] unclosed = Encoding.UTF8.GetBytes("[1,\"" + text);
                    Assert.False(JsonSyntax.IsValid(unclosed), Encoding.UTF8.GetString(unclosed));
                }
            }
        }
    }

    [Fact]
    public void RecordedEvents_AndTheirMutations_AgreeWithTheReader()
    {
        var random = new Random(20261204);
        int checkedCount = 0, validCount = 0;
        foreach (byte[] data in RecordedEventData())
        {
            Assert.True(JsonSyntax.IsValid(data), Encoding.UTF8.GetString(data));
            for (int n = 0; n < 60; n++)
            {
                byte[] mutated = Mutate(data, random);
                bool expected = ReaderReadsToTheEnd(mutated);
                Assert.True(expected == JsonSyntax.IsValid(mutated), $"reader says {expected} for: {Encoding.UTF8.GetString(mutated)}");
                checkedCount++;
                validCount += expected ? 1 : 0;
            }
        }

        Assert.True(checkedCount > 5_000, $"only {checkedCount} mutations checked");
        Assert.InRange(validCount, checkedCount / 20, checkedCount - checkedCount / 20); // both answers well represented
    }

    private static IEnumerable<byte[]> RecordedEventData()
    {
        foreach (string recording in s_recordings)
        {
            foreach (string line in Fixtures.Text(recording).Split('\n'))
            {
                if (line.StartsWith("data: {", StringComparison.Ordinal))
                {
                    yield return Encoding.UTF8.GetBytes(line["data: ".Length..].TrimEnd('\r'));
                }
            }
        }
    }

    private static byte[] Mutate(byte[] data, Random random)
    {
        var bytes = new List<byte>(data);
        int edits = random.Next(1, 3);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            byte b = s_mutationBytes[random.Next(s_mutationBytes.Length)];
            switch (random.Next(5))
            {
                case 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, b);
                    break;
                case 2:
                    bytes[at] = b;
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at); // cut off
                    break;
                default:
                    // A value-sized slice moved elsewhere: keeps most of the text valid JSON pieces.
                    int length = Math.Min(random.Next(1, 12), bytes.Count - at);
                    byte[] slice = bytes.GetRange(at, length).ToArray();
                    bytes.InsertRange(random.Next(bytes.Count), slice);
                    break;
            }
        }

        return bytes.ToArray();
    }

    private static bool ReaderReadsToTheEnd(byte[] json)
    {
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
