using System.Buffers;
using System.Text.Json;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// The payload godex keeps per stored response (<see cref="Storage.StoredResponse.Json"/>):
/// <c>{"v":1,"input":[items],"output":[items],"response":{...}}</c>. <c>input</c> is the turn's own new input with
/// item references resolved (not the chain before it), <c>output</c> its output items as rendered (reasoning with
/// its <c>encrypted_content</c>), <c>response</c> the final response object for <c>GET /v1/responses/{id}</c>. Items
/// are Responses items, so expanding a chain is re-reading them with <see cref="ResponsesRequestReader"/>.
/// </summary>
internal static class ResponsesStoredTurn
{
    private static readonly JsonWriterOptions s_options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Write(IReadOnlyList<JsonElement> input, IEnumerable<byte[]> output, Action<Utf8JsonWriter> writeResponse)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(writeResponse);
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", 1);
            writer.WriteStartArray("input");
            foreach (JsonElement item in input)
            {
                item.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("output");
            foreach (byte[] item in output)
            {
                writer.WriteRawValue(item, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("response");
            writeResponse(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the turn's input then output items to <paramref name="items"/>; false when the payload is unreadable.</summary>
    public static bool TryReadItems(byte[] json, List<JsonElement> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            foreach (string name in (ReadOnlySpan<string>)["input", "output"])
            {
                if (root.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement item in array.EnumerateArray())
                    {
                        items.Add(item.Clone());
                    }
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The stored final response object, as raw JSON bytes; null when the payload is unreadable.</summary>
    public static byte[]? ReadResponse(byte[] json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("response", out JsonElement response)
                ? JsonSerializerRaw(response)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] JsonSerializerRaw(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            element.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
