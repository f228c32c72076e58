using System.Globalization;

namespace Godex.Core;

/// <summary>Durations as the config writes them (<c>30d</c>, <c>12h</c>, <c>90s</c>), for messages and listings.</summary>
public static class Durations
{
    /// <summary>The largest whole unit: <c>30d</c>, <c>36h</c>, <c>15m</c>, else seconds.</summary>
    public static string Format(TimeSpan value)
    {
        if (value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerDay == 0)
        {
            return ((long)value.TotalDays).ToString(CultureInfo.InvariantCulture) + "d";
        }

        if (value.Ticks % TimeSpan.TicksPerHour == 0)
        {
            return ((long)value.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
        }

        if (value.Ticks % TimeSpan.TicksPerMinute == 0)
        {
            return ((long)value.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m";
        }

        return Math.Round(value.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }
}
