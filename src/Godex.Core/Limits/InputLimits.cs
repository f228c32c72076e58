namespace Godex.Core.Limits;

/// <summary>
/// Caps on the short strings a client names things with (issue 14, item 13: a 1 MB model name was written into every
/// usage row and into megabyte log lines). Longer values are refused with a 400 where they enter; what is logged or
/// stored of client text goes through <see cref="ForLog"/>.
/// </summary>
public static class InputLimits
{
    /// <summary>The longest model name a request may carry (real ones are under 64).</summary>
    public const int MaxModelLength = 256;

    /// <summary>The longest id a request may name (<c>previous_response_id</c>, a key id, a response id).</summary>
    public const int MaxIdLength = 256;

    /// <summary>The longest client-key label.</summary>
    public const int MaxLabelLength = 256;

    /// <summary>The most model patterns one client key may hold.</summary>
    public const int MaxModelPatterns = 100;

    /// <summary>How much of a client-supplied value a log line or a usage row keeps.</summary>
    public const int MaxLoggedLength = 200;

    /// <summary><paramref name="value"/> cut to <see cref="MaxLoggedLength"/> characters, marked with an ellipsis and its length when cut.</summary>
    public static string ForLog(string? value)
    {
        if (value is null || value.Length <= MaxLoggedLength)
        {
            return value ?? "";
        }

        int length = MaxLoggedLength;
        if (char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }

        return string.Concat(value.AsSpan(0, length), "…(", value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), " chars)");
    }
}
