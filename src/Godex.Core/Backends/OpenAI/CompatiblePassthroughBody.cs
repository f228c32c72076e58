using System.Text.Json;
using Godex.Core.Backends.Pools;
using Godex.Core.Buffers;

namespace Godex.Core.Backends.OpenAI;

/// <summary>
/// A same-dialect client body for an OpenAI-compatible upstream: sent as it came when its <c>model</c> is the routed
/// one; otherwise only <c>model</c> is replaced and every other member is copied with its original bytes (values are
/// not re-encoded, so numbers, escapes and key order stay the client's).
/// </summary>
internal static class CompatiblePassthroughBody
{
    /// <summary>The body to send, or null when it is not a JSON object.</summary>
    public static ReadOnlyMemory<byte>? WithModel(ReadOnlyMemory<byte> body, string model)
    {
        var reader = new Utf8JsonReader(body.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        bool sameModel = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isModel = reader.ValueTextEquals("model"u8);
            reader.Read();
            if (isModel)
            {
                sameModel = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(model);
            }

            reader.Skip();
        }

        if (sameModel)
        {
            return body;
        }

        using var buffer = new PooledBufferWriter(body.Length + model.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            reader = new Utf8JsonReader(body.Span);
            reader.Read();
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = reader.ValueTextEquals("model"u8);
                string name = reader.GetString()!;
                reader.Read();
                long start = reader.TokenStartIndex;
                reader.Skip();
                if (isModel)
                {
                    continue;
                }

                long end = reader.BytesConsumed;
                writer.WritePropertyName(name);
                writer.WriteRawValue(body.Span[(int)start..(int)end], skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// What keeps a passed-through conversation on one account of a pool (<see cref="SessionKeys"/>): the client's
    /// <c>prompt_cache_key</c>, else the raw bytes of <c>messages</c> up to and including the first user message, which
    /// every later turn repeats. Null when the body has neither.
    /// </summary>
    public static string? SessionKey(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            ReadOnlySpan<byte> start = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isKey = reader.ValueTextEquals("prompt_cache_key"u8);
                bool isMessages = reader.ValueTextEquals("messages"u8);
                reader.Read();
                if (isKey && reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } key)
                {
                    return SessionKeys.Of(key, default);
                }

                if (isMessages && reader.TokenType == JsonTokenType.StartArray)
                {
                    start = body[(int)reader.TokenStartIndex..FirstUserMessageEnd(ref reader)];
                    continue;
                }

                reader.Skip();
            }

            return SessionKeys.Of(null, start);
        }
        catch (JsonException)
        {
            return null; // a malformed body is the upstream's to refuse
        }
    }

    /// <summary>From a <c>messages</c> array's start: reads up to the end of its first user message (or of the array) and returns that offset.</summary>
    private static int FirstUserMessageEnd(ref Utf8JsonReader reader)
    {
        int arrayDepth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > arrayDepth)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            int depth = reader.CurrentDepth;
            bool user = false;
            while (reader.Read() && reader.CurrentDepth > depth)
            {
                bool isRole = reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("role"u8);
                reader.Read();
                user |= isRole && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("user"u8);
                reader.Skip();
            }

            if (user)
            {
                int end = (int)reader.BytesConsumed;
                while (reader.CurrentDepth > arrayDepth || reader.TokenType != JsonTokenType.EndArray)
                {
                    reader.Read(); // the rest of the array, so the caller's loop goes on at the next member
                    reader.Skip();
                }

                return end;
            }
        }

        return (int)reader.BytesConsumed;
    }
}
