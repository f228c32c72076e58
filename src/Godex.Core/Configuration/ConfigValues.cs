using System.Globalization;
using System.Text.RegularExpressions;

namespace Godex.Core.Configuration;

/// <summary>Parses config scalars the same way from YAML, environment variables and flags.</summary>
public static partial class ConfigValues
{
    public static bool ParseBool(string text, string key)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1":
                return true;
            case "false" or "no" or "off" or "0" or "":
                return false;
            default:
                throw new ConfigException($"{key}: expected true or false, got \"{text}\"");
        }
    }

    /// <summary>A ratio between 0 and 1 (<c>0.25</c>).</summary>
    public static double ParseRatio(string text, string key)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) && value is >= 0 and <= 1)
        {
            return value;
        }

        throw new ConfigException($"{key}: expected a number between 0 and 1, got '{text}'");
    }

    public static int ParseInt(string text, string key)
    {
        if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        throw new ConfigException($"{key}: expected a whole number, got \"{text}\"");
    }

    /// <summary>A byte size: a number, optionally with KB/MB/GB (or KiB/MiB/GiB; both mean powers of 1024).</summary>
    public static long ParseBytes(string text, string key)
    {
        Match match = ByteSizePattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new ConfigException($"{key}: expected a size such as 1048576, 512KB or 20MB, got \"{text}\"");
        }

        long number = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        long unit = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1024,
            "M" or "MB" or "MIB" => 1024 * 1024,
            "G" or "GB" or "GIB" => 1024 * 1024 * 1024,
            _ => throw new ConfigException($"{key}: unknown size unit in \"{text}\""),
        };
        return checked(number * unit);
    }

    /// <summary>A duration in Go syntax (<c>90s</c>, <c>1h30m</c>, <c>300ms</c>), or <c>hh:mm:ss</c>.</summary>
    public static TimeSpan ParseDuration(string text, string key)
    {
        string trimmed = text.Trim();
        if (TimeSpan.TryParseExact(trimmed, "c", CultureInfo.InvariantCulture, out TimeSpan exact) && trimmed.Contains(':', StringComparison.Ordinal))
        {
            return exact;
        }

        MatchCollection parts = DurationPartPattern().Matches(trimmed);
        int consumed = 0;
        TimeSpan total = TimeSpan.Zero;
        foreach (Match part in parts)
        {
            if (part.Index != consumed)
            {
                break;
            }

            consumed += part.Length;
            double number = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                _ => TimeSpan.FromDays(number),
            };
        }

        if (parts.Count == 0 || consumed != trimmed.Length)
        {
            throw new ConfigException($"{key}: expected a duration such as 90s, 5m, 1h30m or 300ms, got \"{text}\"");
        }

        return total;
    }

    /// <summary>A request rate <c>N/s|m|h</c>; empty means none (unlimited).</summary>
    public static string? ParseRate(string text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Godex.Core.Keys.RateSpec.TryParse(text, out _, out string? error) ? text.Trim() : throw new ConfigException($"{key}: {error}");
    }

    public static string ParseChoice(string text, string key, params string[] choices)
    {
        string value = text.Trim().ToLowerInvariant();
        if (Array.IndexOf(choices, value) < 0)
        {
            throw new ConfigException($"{key}: expected one of {string.Join(", ", choices)}, got \"{text}\"");
        }

        return value;
    }

    /// <summary>Checks a <c>host:port</c> listen address.</summary>
    public static string ParseListen(string text, string key)
    {
        string value = text.Trim();
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ConfigException($"{key}: expected host:port such as 127.0.0.1:39001, got \"{text}\"");
        }

        return value;
    }

    public static string ParseUrl(string text, string key)
    {
        string value = text.Trim();
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ConfigException($"{key}: expected an http(s) URL, got \"{text}\"");
        }

        return value.TrimEnd('/');
    }

    [GeneratedRegex(@"^(\d+)\s*([A-Za-z]*)$")]
    private static partial Regex ByteSizePattern();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)")]
    private static partial Regex DurationPartPattern();
}
