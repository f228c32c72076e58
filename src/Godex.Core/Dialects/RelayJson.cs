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
}
