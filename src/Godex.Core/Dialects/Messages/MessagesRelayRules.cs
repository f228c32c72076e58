using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// The Messages dialect to the passthrough relay: <c>message_start</c> and <c>ping</c> may be held back, <c>message_stop</c>
/// ends, <c>error</c> fails (before the first byte as the status its type stands for: 529 for <c>overloaded_error</c>);
/// Anthropic's refusals and rate-limit headers go back unchanged; usage is in <c>message_start</c> and
/// <c>message_delta</c>, or in the JSON answer.
/// </summary>
internal sealed class MessagesRelayRules : IRelayRules
{
    private static readonly string[] s_relayedHeaders = ["retry-after", "request-id", "x-should-retry"];

    public static MessagesRelayRules Instance { get; } = new();

    public bool RelaysRefusalBodies => true;

    public RelayFrameKind Classify(in SseFrame frame) =>
        JsonSyntax.IsValid(frame.Data.Span) ? KindOf(frame) : RelayFrameKind.Malformed;

    public RelayFrameKind KindOf(in SseFrame frame)
    {
        string? type = frame.EventType.Length > 0 ? frame.EventType : RelayJson.TryTypeOf(frame.Data.Span, out string? named) ? named ?? "" : null;
        return type switch
        {
            null => RelayFrameKind.Malformed,
            "message_start" or "ping" => RelayFrameKind.Preamble,
            "message_stop" => RelayFrameKind.Terminal,
            "error" => RelayFrameKind.Error,
            _ => RelayFrameKind.Content,
        };
    }

    public BackendError ErrorOf(in SseFrame frame)
    {
        string? type = null, message = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(frame.Data);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error"u8, out JsonElement error) && error.ValueKind == JsonValueKind.Object)
            {
                type = error.TryGetProperty("type"u8, out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                message = error.TryGetProperty("message"u8, out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Classified as JSON already; an unexpected shape still fails the answer below.
        }

        return MessagesStreamReader.MapError(type, message);
    }

    public void WriteErrorEvent(IBufferWriter<byte> output, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("event: error\ndata: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            MessagesJsonWriter.WriteError(writer, error);
        }

        output.Write("\n\n"u8);
    }

    public bool IsRelayedHeader(string name)
    {
        foreach (string relayed in s_relayedHeaders)
        {
            if (name.Equals(relayed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return name.StartsWith("anthropic-ratelimit-", StringComparison.OrdinalIgnoreCase);
    }

    public IRelayUsageTap CreateUsageTap() => new UsageTap();

    public IRelayAggregator? CreateAggregator() => null;

    /// <summary>Reads usage from the two events that carry it, parsing nothing else.</summary>
    private sealed class UsageTap : IRelayUsageTap
    {
        private long _input;
        private long _cacheRead;
        private long _cacheCreation;
        private long _output;

        public Usage Usage => new()
        {
            InputTokens = _input + _cacheRead + _cacheCreation,
            CachedInputTokens = _cacheRead,
            CacheCreationInputTokens = _cacheCreation,
            OutputTokens = _output,
        };

        public void Observe(in SseFrame frame)
        {
            if (frame.EventType is "message_start" or "message_delta"
                || (frame.EventType.Length == 0 && frame.Data.Span.IndexOf("\"usage\""u8) >= 0))
            {
                ObserveJson(frame.Data.Span);
            }
        }

        public void ObserveJson(ReadOnlySpan<byte> json)
        {
            // One reader pass, nothing built: message_start carries usage in message.usage, message_delta (and a JSON
            // answer) at the top level.
            try
            {
                var reader = new Utf8JsonReader(json);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isMessage = reader.ValueTextEquals("message"u8);
                    bool isUsage = !isMessage && reader.ValueTextEquals("usage"u8);
                    reader.Read();
                    if (isUsage || (isMessage && RelayJson.MoveToMember(ref reader, "usage"u8)))
                    {
                        Read(ref reader);
                        return;
                    }

                    reader.Skip();
                }
            }
            catch (JsonException)
            {
                // Not JSON we understand: the ledger keeps what it had.
            }
        }

        private void Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("input_tokens"u8))
                {
                    _input = JsonMemberReader.ReadInt64(ref reader) ?? _input;
                }
                else if (reader.ValueTextEquals("output_tokens"u8))
                {
                    _output = JsonMemberReader.ReadInt64(ref reader) ?? _output;
                }
                else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
                {
                    _cacheRead = JsonMemberReader.ReadInt64(ref reader) ?? _cacheRead;
                }
                else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
                {
                    _cacheCreation = JsonMemberReader.ReadInt64(ref reader) ?? _cacheCreation;
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }
    }
}
