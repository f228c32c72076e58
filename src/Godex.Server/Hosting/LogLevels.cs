using Microsoft.Extensions.Logging;

namespace Godex.Server.Hosting;

internal static class LogLevels
{
    /// <summary>Maps <c>proxy.log_level</c> (already validated) to a <see cref="LogLevel"/>.</summary>
    public static LogLevel Parse(string level) => level switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };
}
