using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;

namespace Godex.Core.Dialects;

/// <summary>What the dialects' relay rules read alike: the <c>type</c> an event names, usage, an answer's error (that an event is JSON at all: <see cref="JsonSyntax"/>).</summary>
internal static class RelayJson
{
    /// <summary>The value of the top-level string property <c>type</c>, or null; <paramref name="data"/> must be valid JSON.</summary>
    public static string? TypeOf(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>
    /// <see cref="TypeOf"/> for data not yet checked: false when <paramref name="data"/> breaks off or is not JSON
    /// before its <c>type</c> is found.
    /// </summary>
    public static bool TryTypeOf(ReadOnlySpan<byte> data, out string? type)
    {
        try
        {
            type = TypeOf(data);
            return true;
        }
        catch (JsonException)
        {
            type = null;
            return false;
        }
    }

    /// <summary>
    /// Moves <paramref name="reader"/>, standing on an object's start, to the value of its member
    /// <paramref name="name"/> (the reader then stands on the value's first token); false, with the reader on the
    /// object's end, when there is none. Other members are skipped without building anything.
    /// </summary>
    public static bool MoveToMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool found = reader.ValueTextEquals(name);
            reader.Read();
            if (found)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>
    /// The whole number at member <paramref name="name"/> of the object the reader stands on (0 when absent); the reader
    /// ends on that object's end, or past the value when it is not an object.
    /// </summary>
    public static long Int64Member(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }

        long value = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = JsonMemberReader.ReadInt64(ref reader) ?? 0;
            }
            else
            {
                JsonMemberReader.Skip(ref reader);
            }
        }

        return value;
    }

    /// <summary>
    /// An OpenAI usage object (the reader on its start), in one pass: input and output tokens, and the cached and
    /// reasoning tokens inside their details objects, under the dialect's member names.
    /// </summary>
    public static Usage ReadUsage(ref Utf8JsonReader reader, UsageMembers names)
    {
        ArgumentNullException.ThrowIfNull(names);
        long input = 0, output = 0, cached = 0, reasoning = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(names.Input))
            {
                input = JsonMemberReader.ReadInt64(ref reader) ?? 0;
            }
            else if (reader.ValueTextEquals(names.Output))
            {
                output = JsonMemberReader.ReadInt64(ref reader) ?? 0;
            }
            else if (reader.ValueTextEquals(names.InputDetails))
            {
                reader.Read();
                cached = Int64Member(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals(names.OutputDetails))
            {
                reader.Read();
                reasoning = Int64Member(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                JsonMemberReader.Skip(ref reader);
            }
        }

        return new Usage { InputTokens = input, OutputTokens = output, CachedInputTokens = cached, ReasoningTokens = reasoning };
    }

    /// <summary>
    /// What is wrong with a successful (2xx) JSON answer that is valid JSON, or null: every answer the relays pass on is
    /// an object, and an object with a top-level <c>error</c> is a failure whatever status came with it.
    /// </summary>
    public static string? AnswerProblem(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "JSON that is not an object";
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (isError && reader.TokenType is not JsonTokenType.Null)
            {
                return "an error" + (ErrorMessage(ref reader) is { } message ? ": " + message : "");
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>The message of an error value: a string, or an object's <c>message</c>.</summary>
    private static string? ErrorMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
        }

        return null;
    }
}

/// <summary>The member names of a usage object in one OpenAI dialect (Chat Completions and Responses name them differently).</summary>
internal sealed class UsageMembers(string input, string output, string inputDetails, string outputDetails)
{
    public static UsageMembers ChatCompletions { get; } = new("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details");

    public static UsageMembers Responses { get; } = new("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details");

    public byte[] Input { get; } = Encoding.UTF8.GetBytes(input);

    public byte[] Output { get; } = Encoding.UTF8.GetBytes(output);

    public byte[] InputDetails { get; } = Encoding.UTF8.GetBytes(inputDetails);

    public byte[] OutputDetails { get; } = Encoding.UTF8.GetBytes(outputDetails);
}
