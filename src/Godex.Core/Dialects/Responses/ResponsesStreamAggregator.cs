using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// Builds the final Responses object from a stream (for a client that did not ask to stream): the terminal event's
/// <c>response</c>, its <c>output</c> rebuilt from <c>response.output_item.done</c> events when the upstream left it
/// empty (the Codex backend does). A failed response or an <c>error</c> event is the <see cref="Error"/>.
/// </summary>
internal sealed class ResponsesStreamAggregator : IRelayAggregator
{
    private readonly SortedDictionary<int, byte[]> _items = [];

    public BackendError? Error { get; private set; }

    public byte[]? Result { get; private set; }

    public bool Add(in SseFrame frame)
    {
        string type = frame.EventType.Length > 0 ? frame.EventType : RelayJson.TypeOf(frame.Data.Span) ?? "";
        switch (ResponsesRelayRules.KindOf(type))
        {
            case RelayFrameKind.Failed:
            case RelayFrameKind.Error:
                Error = ResponsesErrors.FromEventData(frame.Data.Span, failedResponse: type == "response.failed");
                return true;
            case RelayFrameKind.Terminal:
                return Complete(frame.Data.Span, type);
            default:
                if (type == "response.output_item.done")
                {
                    AddItem(frame.Data.Span);
                }

                return false;
        }
    }

    private void AddItem(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        JsonElement root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("item", out JsonElement item)
            && root.TryGetProperty("output_index", out JsonElement index) && index.TryGetInt32(out int position))
        {
            _items[position] = JsonSerializerRaw(item);
        }
    }

    private bool Complete(ReadOnlySpan<byte> data, string type)
    {
        var reader = new Utf8JsonReader(data);
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("response", out JsonElement response) || response.ValueKind != JsonValueKind.Object)
        {
            Error = BackendError.Upstream(502, $"the upstream sent {type} without a response");
            return true;
        }

        Result = WithOutput(response);
        return true;
    }

    private byte[] WithOutput(JsonElement response)
    {
        bool emptyOutput = !response.TryGetProperty("output", out JsonElement output) || output.ValueKind != JsonValueKind.Array || output.GetArrayLength() == 0;
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (JsonProperty property in response.EnumerateObject())
            {
                if (property.NameEquals("output") && emptyOutput)
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            if (emptyOutput)
            {
                writer.WriteStartArray("output");
                foreach (byte[] item in _items.Values)
                {
                    writer.WriteRawValue(item, skipInputValidation: true);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] JsonSerializerRaw(JsonElement element) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element).ToArray();
}
