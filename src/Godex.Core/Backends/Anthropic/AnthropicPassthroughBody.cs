using System.Buffers;
using System.Text;
using System.Text.Json;
using Godex.Core.Json;

namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// The Anthropic backend's body policy for a Messages client's own body (same-dialect passthrough): it goes to
/// Anthropic byte for byte, with only what the route and the credential demand spliced in — never re-serialised, so
/// prior <c>thinking</c> blocks keep the exact bytes their signatures cover (any re-encoding makes the real API reject
/// the turn).
/// </summary>
internal static class AnthropicPassthroughBody
{
    /// <summary>
    /// Returns <paramref name="body"/> with the top-level <c>model</c> value replaced by <paramref name="model"/> and,
    /// when <paramref name="identity"/> is given (OAuth credentials), that text as the first system block unless the
    /// system prompt already starts with it. Every other byte is unchanged; when nothing changes (an API key and the
    /// model the client named), the result is <paramref name="body"/> itself, not a copy.
    /// </summary>
    public static ReadOnlyMemory<byte> PrepareBody(ReadOnlyMemory<byte> body, string model, string? identity)
    {
        List<(int Start, int Length, byte[] Replacement)>? edits = Edits(body.Span, model, identity);
        return edits is null ? body : Apply(body.Span, edits);
    }

    /// <summary>The splices <see cref="PrepareBody"/> makes, or null for none.</summary>
    private static List<(int Start, int Length, byte[] Replacement)>? Edits(ReadOnlySpan<byte> body, string model, string? identity)
    {
        List<(int Start, int Length, byte[] Replacement)>? edits = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = JsonBodyValidator.MaxDepth });
        bool sawSystem = false;
        int objectStart = -1;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 0)
            {
                objectStart = (int)reader.TokenStartIndex;
                continue;
            }

            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals(model))
                {
                    int start = (int)reader.TokenStartIndex;
                    reader.Skip(); // a model that is an object or an array is replaced whole
                    (edits ??= new(2)).Add((start, (int)reader.BytesConsumed - start, JsonString(model)));
                }

                continue;
            }

            if (reader.ValueTextEquals("system"u8))
            {
                sawSystem = true;
                reader.Read();
                if (identity is not null)
                {
                    AddIdentityEdit(ref reader, body, identity, edits ??= new(2));
                }
            }

            reader.Skip();
        }

        if (identity is not null && !sawSystem && objectStart >= 0)
        {
            byte[] insert = Encoding.UTF8.GetBytes("\"system\":[" + TextBlock(identity) + "],");
            (edits ??= new(1)).Add((objectStart + 1, 0, insert));
        }

        return edits;
    }

    private static void AddIdentityEdit(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string identity, List<(int, int, byte[])> edits)
    {
        int start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (!(reader.GetString() ?? "").StartsWith(identity, StringComparison.Ordinal))
                {
                    int length = TokenLength(ref reader);
                    string original = Encoding.UTF8.GetString(body.Slice(start, length));
                    edits.Add((start, length, Encoding.UTF8.GetBytes("[" + TextBlock(identity) + ",{\"type\":\"text\",\"text\":" + original + "}]")));
                }

                break;
            case JsonTokenType.StartArray:
                Utf8JsonReader probe = reader;
                bool first = probe.Read() && probe.TokenType == JsonTokenType.StartObject && FirstBlockStartsWith(ref probe, identity);
                if (!first)
                {
                    bool empty = reader.Read() && reader.TokenType == JsonTokenType.EndArray;
                    edits.Add((start + 1, 0, Encoding.UTF8.GetBytes(TextBlock(identity) + (empty ? "" : ","))));
                }

                break;
        }
    }

    private static bool FirstBlockStartsWith(ref Utf8JsonReader reader, string identity)
    {
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String && (reader.GetString() ?? "").StartsWith(identity, StringComparison.Ordinal);
            }
        }

        return false;
    }

    /// <summary>
    /// The conversation key of a Messages body (<see cref="Pools.SessionKeys"/>): <c>metadata.user_id</c> (Claude Code puts
    /// its session id there), else the raw bytes of <c>system</c> and the first message. Throws <see cref="JsonException"/>
    /// for a body that is not JSON.
    /// </summary>
    public static string? SessionKey(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        string? userId = null;
        int systemStart = -1, systemEnd = -1, firstStart = -1, firstEnd = -1;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                int depth = reader.CurrentDepth;
                while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1)
                    {
                        bool isUserId = reader.ValueTextEquals("user_id"u8);
                        reader.Read();
                        if (isUserId && reader.TokenType == JsonTokenType.String)
                        {
                            userId = reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }

                continue;
            }

            bool system = reader.ValueTextEquals("system"u8);
            bool messages = !system && reader.ValueTextEquals("messages"u8);
            reader.Read();
            if (system)
            {
                systemStart = (int)reader.TokenStartIndex;
                reader.Skip();
                systemEnd = (int)reader.BytesConsumed;
            }
            else if (messages && reader.TokenType == JsonTokenType.StartArray)
            {
                Utf8JsonReader first = reader;
                if (first.Read() && first.TokenType != JsonTokenType.EndArray)
                {
                    firstStart = (int)first.TokenStartIndex;
                    first.Skip();
                    firstEnd = (int)first.BytesConsumed;
                }

                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        if (userId is not null)
        {
            return Pools.SessionKeys.Of(userId, default);
        }

        byte[] start = [.. (systemStart >= 0 ? body[systemStart..systemEnd] : []), .. (firstStart >= 0 ? body[firstStart..firstEnd] : [])];
        return Pools.SessionKeys.Of(null, start);
    }

    /// <summary>The length in bytes of the current scalar token as written (a string includes its quotes).</summary>
    private static int TokenLength(ref Utf8JsonReader reader)
    {
        int length = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        return reader.TokenType == JsonTokenType.String ? length + 2 : length;
    }

    private static string TextBlock(string text) => "{\"type\":\"text\",\"text\":" + Encoding.UTF8.GetString(JsonString(text)) + "}";

    private static byte[] JsonString(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStringValue(value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Apply(ReadOnlySpan<byte> body, List<(int Start, int Length, byte[] Replacement)> edits)
    {
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        int size = body.Length;
        foreach ((int _, int length, byte[] replacement) in edits)
        {
            size += replacement.Length - length;
        }

        byte[] result = new byte[size];
        int from = 0;
        int to = 0;
        foreach ((int start, int length, byte[] replacement) in edits)
        {
            body[from..start].CopyTo(result.AsSpan(to));
            to += start - from;
            replacement.CopyTo(result.AsSpan(to));
            to += replacement.Length;
            from = start + length;
        }

        body[from..].CopyTo(result.AsSpan(to));
        return result;
    }
}
