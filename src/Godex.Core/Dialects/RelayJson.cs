using System.Text.Json;
using System.Text.Unicode;

namespace Godex.Core.Dialects;

/// <summary>Checks the dialects' relay rules share: an event's data is JSON, and the <c>type</c> it names.</summary>
internal static class RelayJson
{
    /// <summary>True when <paramref name="data"/> is one valid UTF-8 JSON value (checked without building anything).</summary>
    public static bool IsValid(ReadOnlySpan<byte> data)
    {
        if (!Utf8.IsValid(data))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(data);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

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
