using System.Text.Json;
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
}
