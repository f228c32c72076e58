using System.Text.Json;

namespace Godex.Core.Json;

/// <summary>
/// Reads one member's value with a forward <see cref="Utf8JsonReader"/> positioned on its property name, with the
/// meaning the stream readers had over <c>JsonElement</c>: a value of another kind than asked is skipped and read as
/// null. The reader is left on the value's last token, ready for the next member.
/// </summary>
internal static class JsonMemberReader
{
    /// <summary>The value's string, unescaped; null when it is not a string.</summary>
    public static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    /// <summary>The value as a long; null when it is not a number or not an integer that fits.</summary>
    public static long? ReadInt64(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetInt64(out long value) ? value : null;
        }

        reader.Skip();
        return null;
    }

    /// <summary>Skips the value of the member whose name the reader is on.</summary>
    public static void Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    /// <summary>
    /// After the one value has been read: throws <see cref="JsonException"/> when anything but whitespace follows
    /// (what <c>JsonDocument.Parse</c> demanded of an event's data).
    /// </summary>
    public static void ReadToEnd(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }
    }
}
