using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;

namespace Godex.Core.Dialects.Responses;

internal sealed partial class ResponsesStreamReader
{
    /// <summary>
    /// What the reader uses of one Responses stream event, read in one forward <see cref="Utf8JsonReader"/> pass
    /// (issue 21: a <c>JsonDocument</c> per event was the translated paths' largest cost per event). No member order is
    /// assumed: every member the reader may need is kept, and the dispatch happens after the pass; when <c>type</c>
    /// comes first and names an event the reader ignores, the rest is only validated. The semantics are those of the
    /// <c>JsonElement</c> reads this replaced: a string field is null unless its value is a string, a number 0 unless
    /// it is an integer that fits, a nested object's fields empty unless it is an object, and a repeated member counts
    /// by its last occurrence. The whole data must be one JSON value (what <c>JsonDocument.Parse</c> demanded): anything
    /// else throws <see cref="JsonException"/>.
    /// </summary>
    private struct EventFields
    {
        public bool IsObject;
        public bool HasType;
        public EventType Type;
        public string? Delta;
        public long SummaryIndex;
        public string? ItemId;
        public string? Arguments;
        public string? Input;
        public string? Message;
        public string? Code;

        public bool ResponseIsObject;
        public string? ResponseId;
        public string? ResponseModel;
        public string? ResponseStatus;
        public string? IncompleteReason;
        public bool ResponseErrorIsObject;
        public string? ResponseErrorMessage;
        public string? ResponseErrorCode;
        public string? ResponseErrorType;
        public Usage Usage;

        public bool ItemIsObject;
        public string? ItemType;
        public string? ItemIdentifier;
        public string? ItemCallId;
        public string? ItemName;
        public string? ItemArguments;
        public string? ItemInput;
        public string? ItemEncryptedContent;
        public List<string>? ItemSummary;

        public bool ErrorIsObject;
        public string? ErrorCode;
        public string? ErrorType;
        public string? ErrorMessage;

        /// <summary>Reads the event; false when it must be read again with <paramref name="skipIgnored"/> off.</summary>
        public bool Read(ReadOnlySpan<byte> json, bool skipIgnored)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                JsonMemberReader.ReadToEnd(ref reader);
                return true;
            }

            IsObject = true;
            bool skipping = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    HasType = reader.TokenType == JsonTokenType.String;
                    Type = HasType ? ClassifyType(ref reader) : EventType.Other;
                    if (skipping)
                    {
                        // A second type after members were skipped: the last one counts, so read it all again.
                        reader.Skip();
                        JsonMemberReader.ReadToEnd(ref reader);
                        return false;
                    }

                    skipping = skipIgnored && Type == EventType.Other;
                }
                else if (skipping)
                {
                    JsonMemberReader.Skip(ref reader);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    Delta = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("item_id"u8))
                {
                    ItemId = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("summary_index"u8))
                {
                    SummaryIndex = JsonMemberReader.ReadInt64(ref reader) ?? 0;
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    ReadResponse(ref reader);
                }
                else if (reader.ValueTextEquals("item"u8))
                {
                    reader.Read();
                    ReadItem(ref reader);
                }
                else if (reader.ValueTextEquals("arguments"u8))
                {
                    Arguments = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("input"u8))
                {
                    Input = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    ReadError(ref reader);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    Message = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("code"u8))
                {
                    Code = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }

            JsonMemberReader.ReadToEnd(ref reader);
            return true;
        }

        private void ReadResponse(ref Utf8JsonReader reader)
        {
            ResponseIsObject = reader.TokenType == JsonTokenType.StartObject;
            ResponseId = ResponseModel = ResponseStatus = IncompleteReason = null;
            ResponseErrorIsObject = false;
            ResponseErrorMessage = ResponseErrorCode = ResponseErrorType = null;
            Usage = Usage.Empty;
            if (!ResponseIsObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    ResponseId = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    ResponseModel = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("status"u8))
                {
                    ResponseStatus = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        Usage = RelayJson.ReadUsage(ref reader, UsageMembers.Responses);
                    }
                    else
                    {
                        reader.Skip();
                        Usage = Usage.Empty;
                    }
                }
                else if (reader.ValueTextEquals("incomplete_details"u8))
                {
                    reader.Read();
                    IncompleteReason = null;
                    ReadObject(ref reader, "reason"u8, ref IncompleteReason);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    ResponseErrorMessage = ResponseErrorCode = ResponseErrorType = null;
                    ResponseErrorIsObject = ReadErrorObject(ref reader, ref ResponseErrorCode, ref ResponseErrorType, ref ResponseErrorMessage);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadItem(ref Utf8JsonReader reader)
        {
            ItemIsObject = reader.TokenType == JsonTokenType.StartObject;
            ItemType = ItemIdentifier = ItemCallId = ItemName = ItemArguments = ItemInput = ItemEncryptedContent = null;
            ItemSummary = null;
            if (!ItemIsObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    ItemType = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    ItemIdentifier = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("call_id"u8))
                {
                    ItemCallId = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    ItemName = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("arguments"u8))
                {
                    ItemArguments = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("input"u8))
                {
                    ItemInput = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("encrypted_content"u8))
                {
                    ItemEncryptedContent = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("summary"u8))
                {
                    reader.Read();
                    ItemSummary = ReadSummary(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadError(ref Utf8JsonReader reader)
        {
            ErrorCode = ErrorType = ErrorMessage = null;
            ErrorIsObject = ReadErrorObject(ref reader, ref ErrorCode, ref ErrorType, ref ErrorMessage);
        }

        /// <summary>An error object's code, type and message; false (and skipped) when the value is not an object.</summary>
        private static bool ReadErrorObject(ref Utf8JsonReader reader, ref string? code, ref string? type, ref string? message)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    code = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    type = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    message = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }

            return true;
        }

        /// <summary>One string member of an object value (null unless the value is an object holding it as a string).</summary>
        private static void ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ref string? value)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(name))
                {
                    value = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        /// <summary>A reasoning item's summary parts: the non-empty <c>text</c> of each object in the array.</summary>
        private static List<string> ReadSummary(ref Utf8JsonReader reader)
        {
            var parts = new List<string>();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                return parts;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                string? text = null;
                ReadObject(ref reader, "text"u8, ref text);
                if (!string.IsNullOrEmpty(text))
                {
                    parts.Add(text);
                }
            }

            return parts;
        }

        private static EventType ClassifyType(ref Utf8JsonReader reader) =>
            reader.ValueTextEquals("response.output_text.delta"u8) ? EventType.OutputTextDelta
            : reader.ValueTextEquals("response.function_call_arguments.delta"u8) ? EventType.ArgumentsDelta
            : reader.ValueTextEquals("response.reasoning_summary_text.delta"u8) ? EventType.ReasoningDelta
            : reader.ValueTextEquals("response.reasoning_text.delta"u8) ? EventType.ReasoningDelta
            : reader.ValueTextEquals("response.custom_tool_call_input.delta"u8) ? EventType.ArgumentsDelta
            : reader.ValueTextEquals("response.output_item.added"u8) ? EventType.OutputItemAdded
            : reader.ValueTextEquals("response.output_item.done"u8) ? EventType.OutputItemDone
            : reader.ValueTextEquals("response.created"u8) ? EventType.Created
            : reader.ValueTextEquals("response.in_progress"u8) ? EventType.Created
            : reader.ValueTextEquals("response.refusal.delta"u8) ? EventType.RefusalDelta
            : reader.ValueTextEquals("response.function_call_arguments.done"u8) ? EventType.ArgumentsDone
            : reader.ValueTextEquals("response.custom_tool_call_input.done"u8) ? EventType.CustomInputDone
            : reader.ValueTextEquals("response.completed"u8) ? EventType.Completed
            : reader.ValueTextEquals("response.done"u8) ? EventType.Completed
            : reader.ValueTextEquals("response.incomplete"u8) ? EventType.Incomplete
            : reader.ValueTextEquals("response.failed"u8) ? EventType.Failed
            : reader.ValueTextEquals("error"u8) ? EventType.Error
            : EventType.Other;
    }

    private enum EventType
    {
        Other,
        Created,
        OutputTextDelta,
        RefusalDelta,
        ReasoningDelta,
        OutputItemAdded,
        ArgumentsDelta,
        ArgumentsDone,
        CustomInputDone,
        OutputItemDone,
        Completed,
        Incomplete,
        Failed,
        Error,
    }
}
