using System.Globalization;

namespace Godex.Core.Configuration;

/// <summary>
/// A model's list price (<c>proxy.prices</c>; costs are computed by <c>Godex.Core.Spend.PriceTable</c>) in micro-dollars (10⁻⁶ USD) per million tokens, so that every published price (down to
/// $0.000001 per million) is an exact integer: $1.25/M is 1,250,000. Written <c>in=1.25,cached_in=0.125,out=10</c>
/// (USD per million tokens) in the config; <c>cache_write</c> is Anthropic's prompt-cache write price.
/// </summary>
/// <param name="Input">Uncached prompt tokens.</param>
/// <param name="CachedInput">Prompt tokens read from the provider's cache.</param>
/// <param name="CacheWrite">Prompt tokens written to the provider's cache (Anthropic's 5-minute write price).</param>
/// <param name="Output">Output tokens, reasoning included: both providers bill reasoning as output.</param>
public sealed record ModelPrice(long Input, long CachedInput, long CacheWrite, long Output)
{
    private const long PerMillion = 1_000_000;

    /// <summary>Parses <c>in=USD,cached_in=USD,cache_write=USD,out=USD</c> (USD per million tokens); missing parts cost 0, <c>cached_in</c> defaults to <c>in</c>.</summary>
    public static ModelPrice Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        long? input = null, cached = null, write = null, output = null;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? part : part[..equals].Trim();
            if (equals < 0 || !decimal.TryParse(part[(equals + 1)..].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal usd) || usd * PerMillion != decimal.Truncate(usd * PerMillion))
            {
                throw new ConfigException($"{path}: expected in=USD,cached_in=USD,cache_write=USD,out=USD (USD per million tokens, at most 6 decimals), got '{text}'");
            }

            long micros = (long)(usd * PerMillion);
            switch (name)
            {
                case "in": input = micros; break;
                case "cached_in": cached = micros; break;
                case "cache_write": write = micros; break;
                case "out": output = micros; break;
                default: throw new ConfigException($"{path}: unknown price component '{name}' (in, cached_in, cache_write, out)");
            }
        }

        return new ModelPrice(input ?? 0, cached ?? input ?? 0, write ?? input ?? 0, output ?? 0);
    }

    /// <summary>The config form, in USD per million tokens.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"in={Usd(Input)},cached_in={Usd(CachedInput)},cache_write={Usd(CacheWrite)},out={Usd(Output)}");

    private static string Usd(long micros) => ((decimal)micros / PerMillion).ToString("0.######", CultureInfo.InvariantCulture);
}
