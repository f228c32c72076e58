using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Godex.Core.Json;

namespace Godex.Core.Dialects.Messages;

internal sealed partial class MessagesStreamReader
{
    /// <summary>
    /// What the reader uses of one Anthropic stream event (or of a whole message), read in one forward <see cref="Utf8JsonReader"/> pass
    /// (issue 21: a <c>JsonDocument</c> per event was the translated paths' largest cost per event). Members may come
    /// in any order (<c>type</c> need not be first), so every member the reader may need is kept and the dispatch
    /// happens after the pass. The semantics are those of the <c>JsonElement</c> reads this replaced: a string field
    /// is null unless its value is a string, a number null unless it fits, a nested object's fields empty unless it
    /// is an object, and a repeated member counts by its last occurrence. The whole data must be one JSON value
    /// (what <c>JsonDocument.Parse</c> demanded): anything else throws <see cref="JsonException"/>.
    /// </summary>
    private struct EventFields
    {
        public bool IsObject;
        public bool HasType;
        public EventType Type;
        public int? Index;

        public bool MessageIsObject;
        public string? MessageId;
        public string? MessageModel;
        public UsageFields MessageUsage;

        public BlockKind BlockType;
        public string? BlockText;
        public string? BlockThinking;
        public string? BlockSignature;
        public string? BlockData;
        public string? BlockId;
        public string? BlockName;

        /// <summary>Where a tool_use block's non-empty <c>input</c> object lies in the data (its raw JSON text).</summary>
        public int InputStart;
        public int InputLength;

        public DeltaKind DeltaType;
        public string? DeltaText;
        public string? DeltaThinking;
        public string? DeltaSignature;
        public string? DeltaPartialJson;
        public string? DeltaStopReason;

        public UsageFields Usage;

        public string? ErrorType;
        public string? ErrorMessage;

        // A whole message (the answer to a call made without a stream): its own members, and where its content array lies.
        public string? WholeId;
        public string? WholeModel;
        public string? WholeStopReason;
        public int ContentStart;
        public int ContentLength;

        public void Read(ReadOnlySpan<byte> json)
        {
            if (TryReadTextDelta(json))
            {
                return;
            }

            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                IsObject = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        HasType = reader.TokenType == JsonTokenType.String;
                        Type = HasType ? ClassifyType(ref reader) : EventType.Other;
                    }
                    else if (reader.ValueTextEquals("index"u8))
                    {
                        reader.Read();
                        Index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int index) ? index : null;
                    }
                    else if (reader.ValueTextEquals("delta"u8))
                    {
                        reader.Read();
                        ReadDelta(ref reader);
                    }
                    else if (reader.ValueTextEquals("content_block"u8))
                    {
                        reader.Read();
                        ReadBlock(ref reader);
                    }
                    else if (reader.ValueTextEquals("message"u8))
                    {
                        reader.Read();
                        ReadMessage(ref reader);
                    }
                    else if (reader.ValueTextEquals("usage"u8))
                    {
                        reader.Read();
                        Usage = default;
                        Usage.Read(ref reader);
                    }
                    else if (reader.ValueTextEquals("error"u8))
                    {
                        reader.Read();
                        ReadError(ref reader);
                    }
                    else if (reader.ValueTextEquals("content"u8))
                    {
                        reader.Read();
                        ContentStart = ContentLength = 0;
                        if (reader.TokenType == JsonTokenType.StartArray)
                        {
                            ContentStart = (int)reader.TokenStartIndex;
                            reader.Skip();
                            ContentLength = (int)reader.BytesConsumed - ContentStart;
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    else if (reader.ValueTextEquals("id"u8))
                    {
                        WholeId = JsonMemberReader.ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("model"u8))
                    {
                        WholeModel = JsonMemberReader.ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("stop_reason"u8))
                    {
                        WholeStopReason = JsonMemberReader.ReadString(ref reader);
                    }
                    else
                    {
                        JsonMemberReader.Skip(ref reader);
                    }
                }
            }
            else
            {
                reader.Skip();
            }

            // Nothing may follow the one value: the reader throws on trailing bytes.
            JsonMemberReader.ReadToEnd(ref reader);
        }

        /// <summary>
        /// The event a stream is mostly made of, byte for byte as Anthropic sends it (the recorded streams pad the two
        /// closing braces with spaces): <c>{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}</c>
        /// with a text that needs no unescaping, read without a JSON reader (issue 21: the reader was most of the
        /// per-event cost of a translated stream). Anything else — another order, another member, an escape, a control
        /// character, bytes that are not UTF-8 — returns false untouched, and <see cref="Read"/> reads it in full.
        /// </summary>
        private bool TryReadTextDelta(ReadOnlySpan<byte> json)
        {
            ReadOnlySpan<byte> head = """{"type":"content_block_delta","index":"""u8;
            ReadOnlySpan<byte> delta = ",\"delta\":{\"type\":\"text_delta\",\"text\":\""u8;
            if (!json.StartsWith(head))
            {
                return false;
            }

            // A JSON integer that fits: 0, or up to nine digits without a leading zero.
            ReadOnlySpan<byte> rest = json[head.Length..];
            int digits = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (digits is < 1 or > 9 || (digits > 1 && rest[0] == (byte)'0') || !rest[digits..].StartsWith(delta))
            {
                return false;
            }

            int index = 0;
            foreach (byte digit in rest[..digits])
            {
                index = (index * 10) + (digit - '0');
            }

            rest = rest[(digits + delta.Length)..];
            int end = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0 || rest[end] != (byte)'"')
            {
                return false;
            }

            ReadOnlySpan<byte> text = rest[..end];
            if (text.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || !Utf8.IsValid(text) || !IsObjectEnd(rest[(end + 1)..], closing: 2))
            {
                return false;
            }

            IsObject = true;
            HasType = true;
            Type = EventType.ContentBlockDelta;
            Index = index;
            DeltaType = DeltaKind.Text;
            DeltaText = Encoding.UTF8.GetString(text);
            return true;
        }

        /// <summary>True when <paramref name="tail"/> is <paramref name="closing"/> closing braces with JSON whitespace around them.</summary>
        private static bool IsObjectEnd(ReadOnlySpan<byte> tail, int closing)
        {
            foreach (byte b in tail)
            {
                if (b == (byte)'}')
                {
                    closing--;
                }
                else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
                {
                    return false;
                }
            }

            return closing == 0;
        }

        private void ReadDelta(ref Utf8JsonReader reader)
        {
            DeltaType = DeltaKind.Other;
            DeltaText = DeltaThinking = DeltaSignature = DeltaPartialJson = DeltaStopReason = null;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    DeltaType = reader.TokenType != JsonTokenType.String ? DeltaKind.Other
                        : reader.ValueTextEquals("text_delta"u8) ? DeltaKind.Text
                        : reader.ValueTextEquals("input_json_delta"u8) ? DeltaKind.InputJson
                        : reader.ValueTextEquals("thinking_delta"u8) ? DeltaKind.Thinking
                        : reader.ValueTextEquals("signature_delta"u8) ? DeltaKind.Signature
                        : DeltaKind.Other;
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    DeltaText = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("partial_json"u8))
                {
                    DeltaPartialJson = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("thinking"u8))
                {
                    DeltaThinking = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("signature"u8))
                {
                    DeltaSignature = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("stop_reason"u8))
                {
                    DeltaStopReason = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        public void ReadBlock(ref Utf8JsonReader reader)
        {
            BlockType = BlockKind.Other;
            BlockText = BlockThinking = BlockSignature = BlockData = BlockId = BlockName = null;
            InputStart = InputLength = 0;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    BlockType = reader.TokenType != JsonTokenType.String ? BlockKind.Other
                        : reader.ValueTextEquals("text"u8) ? BlockKind.Text
                        : reader.ValueTextEquals("tool_use"u8) ? BlockKind.ToolUse
                        : reader.ValueTextEquals("thinking"u8) ? BlockKind.Thinking
                        : reader.ValueTextEquals("redacted_thinking"u8) ? BlockKind.RedactedThinking
                        : BlockKind.Other;
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    BlockText = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("thinking"u8))
                {
                    BlockThinking = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("signature"u8))
                {
                    BlockSignature = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    BlockData = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    BlockId = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    BlockName = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    InputStart = InputLength = 0;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        // Only an object with at least one member is an input; {} is the placeholder before deltas.
                        var start = (int)reader.TokenStartIndex;
                        Utf8JsonReader probe = reader;
                        probe.Read();
                        bool hasMembers = probe.TokenType != JsonTokenType.EndObject;
                        reader.Skip();
                        if (hasMembers)
                        {
                            InputStart = start;
                            InputLength = (int)reader.BytesConsumed - start;
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadMessage(ref Utf8JsonReader reader)
        {
            MessageIsObject = reader.TokenType == JsonTokenType.StartObject;
            MessageId = MessageModel = null;
            MessageUsage = default;
            if (!MessageIsObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    MessageId = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    MessageModel = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    MessageUsage = default;
                    MessageUsage.Read(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadError(ref Utf8JsonReader reader)
        {
            ErrorType = ErrorMessage = null;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    ErrorType = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    ErrorMessage = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private static EventType ClassifyType(ref Utf8JsonReader reader) =>
            reader.ValueTextEquals("content_block_delta"u8) ? EventType.ContentBlockDelta
            : reader.ValueTextEquals("content_block_start"u8) ? EventType.ContentBlockStart
            : reader.ValueTextEquals("content_block_stop"u8) ? EventType.ContentBlockStop
            : reader.ValueTextEquals("message_start"u8) ? EventType.MessageStart
            : reader.ValueTextEquals("message_delta"u8) ? EventType.MessageDelta
            : reader.ValueTextEquals("message_stop"u8) ? EventType.MessageStop
            : reader.ValueTextEquals("error"u8) ? EventType.Error
            : reader.ValueTextEquals("message"u8) ? EventType.Message
            : EventType.Other;
    }

    /// <summary>An Anthropic <c>usage</c> object's counts; a count is null when absent or not an integer.</summary>
    private struct UsageFields
    {
        public bool IsObject;
        public long? InputTokens;
        public long? CacheReadTokens;
        public long? CacheCreationTokens;
        public long? OutputTokens;

        public void Read(ref Utf8JsonReader reader)
        {
            IsObject = reader.TokenType == JsonTokenType.StartObject;
            if (!IsObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("input_tokens"u8))
                {
                    InputTokens = JsonMemberReader.ReadInt64(ref reader);
                }
                else if (reader.ValueTextEquals("output_tokens"u8))
                {
                    OutputTokens = JsonMemberReader.ReadInt64(ref reader);
                }
                else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
                {
                    CacheReadTokens = JsonMemberReader.ReadInt64(ref reader);
                }
                else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
                {
                    CacheCreationTokens = JsonMemberReader.ReadInt64(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }
    }
}
