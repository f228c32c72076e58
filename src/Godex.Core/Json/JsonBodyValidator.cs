using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Godex.Core.Conversation;
using Godex.Core.Limits;

namespace Godex.Core.Json;

/// <summary>
/// Checks a request body before any front door reads it, so that what the parsers (and passthroughs, which forward
/// the body without parsing it) would trip over later is a 400 naming the problem now (issue 14: these were 500s):
/// invalid UTF-8, a lone UTF-16 surrogate in a <c>\u</c> escape, a number outside the range of a double
/// (<c>1e400</c>), data after the JSON value, and nesting deeper than <see cref="MaxDepth"/>. It also caps the two
/// names a body routes by, a top-level <c>model</c> (<see cref="InputLimits.MaxModelLength"/>) and
/// <c>previous_response_id</c> (<see cref="InputLimits.MaxIdLength"/>), and refuses control characters in them, before
/// they reach a log line, a usage row or anything an upstream request is built from.
/// </summary>
/// <remarks>One forward pass: <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> (vectorized) and one
/// <see cref="Utf8JsonReader"/> over the tokens (the body is one contiguous span, so values are never sequences);
/// escaped strings and numbers are looked at, nothing is allocated on the way (the error message is built only for
/// a bad body).</remarks>
internal static class JsonBodyValidator
{
    /// <summary>The deepest nesting any front door accepts (the Messages parser's; the others stop at 128 with their own 400).</summary>
    public const int MaxDepth = 256;

    /// <summary>Null when the body is well-formed JSON godex can read; otherwise a 400 naming the first problem and its byte offset.</summary>
    public static BackendError? Validate(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            int offset = FirstInvalidUtf8(body);
            return Invalid(string.Create(CultureInfo.InvariantCulture, $"the request body is not valid UTF-8: byte 0x{body[offset]:X2} at offset {offset} does not start or continue a UTF-8 sequence"));
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        int capped = 0; // the cap of the top-level property whose value comes next, or 0
        string? cappedName = null;
        try
        {
            while (reader.Read())
            {
                if (capped > 0 && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > capped)
                {
                    return BackendError.InvalidRequest(string.Create(CultureInfo.InvariantCulture, $"{cappedName}: at most {capped} bytes"), cappedName);
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped:
                        if (LoneSurrogate(reader.ValueSpan) is { } surrogate)
                        {
                            return Invalid(string.Create(CultureInfo.InvariantCulture, $"invalid JSON: a lone UTF-16 surrogate (\\u{surrogate:x4}) in a string near offset {reader.TokenStartIndex}; text must be valid Unicode (a high surrogate \\ud800-\\udbff followed by a low one \\udc00-\\udfff)"));
                        }

                        break;
                    case JsonTokenType.Number:
                        if (!reader.TryGetDouble(out double number) || !double.IsFinite(number))
                        {
                            string text = Encoding.UTF8.GetString(reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, 40)]);
                            return Invalid(string.Create(CultureInfo.InvariantCulture, $"invalid JSON: the number {text} at offset {reader.TokenStartIndex} is out of range"));
                        }

                        break;
                }

                if (capped > 0 && reader.TokenType == JsonTokenType.String && HasControlCharacter(ref reader))
                {
                    // A name never holds a line break; one that does is an attempt on a header or a log line.
                    return BackendError.InvalidRequest($"{cappedName}: control characters (line breaks, NUL, DEL) are not allowed", cappedName);
                }

                // After the surrogate check: comparing an escaped name unescapes it, which throws on a lone surrogate.
                capped = 0;
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    (capped, cappedName) = reader.ValueTextEquals("model"u8) ? (InputLimits.MaxModelLength, "model")
                        : reader.ValueTextEquals("previous_response_id"u8) ? (InputLimits.MaxIdLength, "previous_response_id")
                        : (0, null);
                }
            }
        }
        catch (JsonException ex)
        {
            return Invalid("invalid JSON: " + ex.Message);
        }

        return null;
    }

    /// <summary>True when the (capped, so short) string value holds a C0 control character or DEL once unescaped.</summary>
    private static bool HasControlCharacter(ref Utf8JsonReader reader)
    {
        Span<byte> unescaped = stackalloc byte[Math.Max(InputLimits.MaxModelLength, InputLimits.MaxIdLength)];
        ReadOnlySpan<byte> text = reader.ValueIsEscaped ? unescaped[..reader.CopyString(unescaped)] : reader.ValueSpan;
        foreach (byte b in text)
        {
            if (b is < 0x20 or 0x7F)
            {
                return true;
            }
        }

        return false;
    }

    private static BackendError Invalid(string message) => BackendError.InvalidRequest(message);

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        while (offset < body.Length)
        {
            if (Rune.DecodeFromUtf8(body[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return body.Length - 1;
    }

    /// <summary>The first unpaired surrogate among the <c>\u</c> escapes of a raw (still escaped) JSON string, or null.</summary>
    private static int? LoneSurrogate(ReadOnlySpan<byte> raw)
    {
        int pendingHigh = -1;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (pendingHigh >= 0)
                {
                    return pendingHigh;
                }

                continue;
            }

            // The reader has validated the escape: a backslash is followed by one of "\/bfnrtu, and u by 4 hex digits.
            byte kind = raw[i + 1];
            if (kind != (byte)'u')
            {
                if (pendingHigh >= 0)
                {
                    return pendingHigh;
                }

                i++;
                continue;
            }

            ushort unit = Utf8Parser.TryParse(raw.Slice(i + 2, 4), out ushort parsed, out _, 'x') ? parsed : (ushort)0;
            i += 5;
            if (pendingHigh >= 0)
            {
                if (unit is < 0xDC00 or > 0xDFFF)
                {
                    return pendingHigh;
                }

                pendingHigh = -1;
            }
            else if (unit is >= 0xD800 and <= 0xDBFF)
            {
                pendingHigh = unit;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return unit;
            }
        }

        return pendingHigh >= 0 ? pendingHigh : null;
    }
}
