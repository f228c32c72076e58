using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;

namespace Godex.Core.Dialects.ChatCompletions;

internal sealed partial class ChatCompletionsStreamReader
{
    /// <summary>
    /// What the reader uses of one <c>chat.completion.chunk</c>, read in one forward <see cref="Utf8JsonReader"/> pass
    /// (issue 21: a <c>JsonDocument</c> per chunk was the translated path's largest cost per event). No member order is
    /// assumed (<c>usage</c> or <c>error</c> may come before <c>choices</c>, <c>index</c> after <c>delta</c>): every
    /// member the reader may need is kept, and the events are made after the pass, in the order the
    /// <c>JsonElement</c> reads made them. The semantics are those reads': a string field is null unless its value is
    /// a string, an index null unless it is a whole number that fits an int, a nested object's fields empty unless it
    /// is an object, and a repeated member counts by its last occurrence. The whole data must be one JSON value (what
    /// <c>JsonDocument.Parse</c> demanded): anything else throws <see cref="JsonException"/> with the message the
    /// document's parse gave, as the document used the same reader. One instance per stream reader, reused for every
    /// chunk (its lists keep their capacity).
    /// </summary>
    private sealed class ChunkFields
    {
        public bool IsObject;
        public string? Id;
        public string? Model;

        /// <summary>A top-level <c>error</c> member whose value is not null.</summary>
        public bool HasError;
        public string? ErrorMessage;
        public string? ErrorType;
        public string? ErrorCode;
        public string? ErrorParam;

        public bool HasUsage;
        public Usage Usage = Usage.Empty;

        /// <summary>The chunk's choices in order; each names its tool-call deltas as a range of <see cref="Calls"/>.</summary>
        public List<ChoiceFields> Choices { get; } = [];
        public List<CallFields> Calls { get; } = [];

        /// <param name="json">The chunk's data.</param>
        /// <param name="readIdentity">Whether the completion's <c>id</c> and <c>model</c> are wanted (only until the first chunk was read).</param>
        public void Read(ReadOnlySpan<byte> json, bool readIdentity)
        {
            IsObject = HasError = HasUsage = false;
            Id = Model = ErrorMessage = ErrorType = ErrorCode = ErrorParam = null;
            Usage = Usage.Empty;
            Choices.Clear();
            Calls.Clear();

            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                IsObject = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("choices"u8))
                    {
                        reader.Read();
                        ReadChoices(ref reader);
                    }
                    else if (readIdentity && reader.ValueTextEquals("id"u8))
                    {
                        Id = JsonMemberReader.ReadString(ref reader);
                    }
                    else if (readIdentity && reader.ValueTextEquals("model"u8))
                    {
                        Model = JsonMemberReader.ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("usage"u8))
                    {
                        reader.Read();
                        HasUsage = reader.TokenType == JsonTokenType.StartObject;
                        if (HasUsage)
                        {
                            Usage = RelayJson.ReadUsage(ref reader, UsageMembers.ChatCompletions);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    else if (reader.ValueTextEquals("error"u8))
                    {
                        reader.Read();
                        ReadError(ref reader);
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

        /// <summary>The error <c>ChatCompletionsErrors.FromRoot</c> read: an object's fields, a string's text, null for none.</summary>
        private void ReadError(ref Utf8JsonReader reader)
        {
            ErrorMessage = ErrorType = ErrorCode = ErrorParam = null;
            HasError = reader.TokenType != JsonTokenType.Null;
            if (reader.TokenType == JsonTokenType.String)
            {
                ErrorMessage = reader.GetString();
                return;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("message"u8))
                {
                    ErrorMessage = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    ErrorType = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("param"u8))
                {
                    ErrorParam = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("code"u8))
                {
                    // A string, or a number as written (OpenRouter's HTTP status).
                    reader.Read();
                    ErrorCode = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                    reader.Skip();
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadChoices(ref Utf8JsonReader reader)
        {
            // A repeated choices member: only the last one counts.
            Choices.Clear();
            Calls.Clear();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    Choices.Add(ReadChoice(ref reader));
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        private ChoiceFields ReadChoice(ref Utf8JsonReader reader)
        {
            var choice = new ChoiceFields { CallsStart = Calls.Count };
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    choice.Index = ReadInt32(ref reader);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    ReadDelta(ref reader, ref choice);
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    choice.FinishReason = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }

            choice.CallsCount = Calls.Count - choice.CallsStart;
            return choice;
        }

        private void ReadDelta(ref Utf8JsonReader reader, ref ChoiceFields choice)
        {
            // A repeated delta member: only the last one counts, its tool calls included.
            choice.ReasoningContent = choice.Reasoning = choice.Content = choice.Refusal = null;
            Calls.RemoveRange(choice.CallsStart, Calls.Count - choice.CallsStart);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("content"u8))
                {
                    choice.Content = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("tool_calls"u8))
                {
                    reader.Read();
                    ReadCalls(ref reader, choice.CallsStart);
                }
                else if (reader.ValueTextEquals("reasoning_content"u8))
                {
                    choice.ReasoningContent = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("reasoning"u8))
                {
                    choice.Reasoning = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("refusal"u8))
                {
                    choice.Refusal = JsonMemberReader.ReadString(ref reader);
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }
        }

        private void ReadCalls(ref Utf8JsonReader reader, int start)
        {
            // A repeated tool_calls member: only the last one counts.
            Calls.RemoveRange(start, Calls.Count - start);
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    Calls.Add(ReadCall(ref reader));
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        private static CallFields ReadCall(ref Utf8JsonReader reader)
        {
            var call = default(CallFields);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    call.Index = ReadInt32(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    call.Id = JsonMemberReader.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    call.Name = call.Arguments = null;
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("arguments"u8))
                        {
                            call.Arguments = JsonMemberReader.ReadString(ref reader);
                        }
                        else if (reader.ValueTextEquals("name"u8))
                        {
                            call.Name = JsonMemberReader.ReadString(ref reader);
                        }
                        else
                        {
                            JsonMemberReader.Skip(ref reader);
                        }
                    }
                }
                else
                {
                    JsonMemberReader.Skip(ref reader);
                }
            }

            return call;
        }

        /// <summary>The member's value as an int (<c>JsonElement.TryGetInt32</c>'s meaning); null when it is not a whole number that fits.</summary>
        private static int? ReadInt32(ref Utf8JsonReader reader)
        {
            reader.Read();
            int? value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int number) ? number : null;
            reader.Skip();
            return value;
        }
    }

    /// <summary>One choice of a chunk: its index (null when absent or not a whole number), delta texts and finish reason.</summary>
    private struct ChoiceFields
    {
        public int? Index;
        public string? ReasoningContent;
        public string? Reasoning;
        public string? Content;
        public string? Refusal;
        public string? FinishReason;

        /// <summary>The delta's tool calls: <see cref="ChunkFields.Calls"/>[CallsStart..CallsStart+CallsCount].</summary>
        public int CallsStart;
        public int CallsCount;
    }

    /// <summary>One tool-call delta: its index (null when absent or not a whole number), id, function name and argument text.</summary>
    private struct CallFields
    {
        public int? Index;
        public string? Id;
        public string? Name;
        public string? Arguments;
    }
}
