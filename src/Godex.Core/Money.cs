using System.Globalization;

namespace Godex.Core;

/// <summary>Micro-dollars as people read them.</summary>
public static class Money
{
    /// <summary><c>1234567</c> → <c>1.234567</c> (USD, six decimals: exact).</summary>
    public static string Usd(long micros) => ((decimal)micros / 1_000_000m).ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>Parses a dollar amount (<c>20</c>, <c>0.01</c>) into micro-dollars; false for a negative or finer-than-a-micro-dollar value.</summary>
    public static bool TryParseUsd(string text, out long micros)
    {
        micros = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal usd) || usd < 0)
        {
            return false;
        }

        decimal scaled = usd * 1_000_000m;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue)
        {
            return false;
        }

        micros = (long)scaled;
        return true;
    }
}
