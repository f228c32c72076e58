using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors;

/// <summary>The front doors' log lines, one set for all three (the door's name is a field). Never prompt content.</summary>
internal static partial class FrontDoorLog
{
    // Event ids 1100-1113; next free: 1114.
    [LoggerMessage(1100, LogLevel.Debug, "{Door} request rejected: {Param}: {Reason}", EventName = "FrontDoorRequestRejected")]
    public static partial void RequestRejected(ILogger logger, string door, string? param, string reason);

    [LoggerMessage(1101, LogLevel.Debug, "{Door} request for {Requested} routed to {Backend} as {Model} (stream: {Stream})", EventName = "FrontDoorRouted")]
    public static partial void Routed(ILogger logger, string door, string requested, string model, string backend, bool stream);

    [LoggerMessage(1102, LogLevel.Information, "{Door}: backend {Backend} refused the request with {Status}: {Message}", EventName = "FrontDoorUpstreamRefused")]
    public static partial void UpstreamRefused(ILogger logger, string door, string backend, int status, string message);

    [LoggerMessage(1103, LogLevel.Debug, "{Door}: client disconnected; upstream call cancelled", EventName = "FrontDoorClientDisconnected")]
    public static partial void ClientDisconnected(ILogger logger, string door);

    [LoggerMessage(1104, LogLevel.Error, "{Door}: stream failed after the first byte", EventName = "FrontDoorStreamFailed")]
    public static partial void StreamFailed(ILogger logger, string door, Exception exception);

    [LoggerMessage(1105, LogLevel.Error, "{Door}: request failed before the response started", EventName = "FrontDoorRequestFailed")]
    public static partial void RequestFailed(ILogger logger, string door, Exception exception);

    [LoggerMessage(1106, LogLevel.Warning, "{Door}: backend {Backend} failed after the first byte ({Status}): {Message}; ended with an in-band error", EventName = "FrontDoorFailedInBand")]
    public static partial void FailedInBand(ILogger logger, string door, string backend, int status, string message);

    [LoggerMessage(1113, LogLevel.Warning, "{Door}: the database could not serve the request ({Reason}); answered 503", EventName = "FrontDoorStorageUnavailable")]
    public static partial void StorageUnavailable(ILogger logger, string door, string reason);
}
