using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Godex.Core.Keys;

/// <summary>
/// A request rate <c>N/unit</c> (<c>60/m</c>, <c>5/s</c>, <c>1000/h</c>; long unit names as in the original are
/// accepted). Unlike the original, an invalid spec is an error, never "no limit".
/// </summary>
public readonly record struct RateSpec(int Requests, TimeSpan Per)
{
    /// <summary>Tokens added to the bucket per second.</summary>
    public double PerSecond => Requests / Per.TotalSeconds;

    public static RateSpec Parse(string text) =>
        TryParse(text, out RateSpec rate, out string? error) ? rate : throw new FormatException(error);

    public static bool TryParse(string? text, out RateSpec rate, [NotNullWhen(false)] out string? error)
    {
        rate = default;
        string trimmed = text?.Trim() ?? "";
        int slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(trimmed.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int requests) || requests <= 0)
        {
            error = $"invalid rate \"{text}\": expected N/s, N/m or N/h with N > 0, e.g. 60/m";
            return false;
        }

        TimeSpan? per = trimmed[(slash + 1)..].ToLowerInvariant() switch
        {
            "s" or "sec" or "second" or "seconds" => TimeSpan.FromSeconds(1),
            "m" or "min" or "minute" or "minutes" => TimeSpan.FromMinutes(1),
            "h" or "hr" or "hour" or "hours" => TimeSpan.FromHours(1),
            _ => null,
        };
        if (per is null)
        {
            error = $"invalid rate \"{text}\": the unit must be s, m or h, e.g. 60/m";
            return false;
        }

        rate = new RateSpec(requests, per.Value);
        error = null;
        return true;
    }

    public override string ToString() =>
        Requests.ToString(CultureInfo.InvariantCulture) + "/" + (Per.TotalHours >= 1 ? "h" : Per.TotalMinutes >= 1 ? "m" : "s");
}
