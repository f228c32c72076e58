using Godex.Core.Backends;
using Godex.Core.Backends.Upstream;
using Godex.Core.Relay;
using Godex.Core.Routing;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors;

/// <summary>
/// A same-dialect request, the same way for every front door: the client's body through the backend's passthrough
/// capability (<see cref="IPassthroughBackend"/>) and the answer back through the one relay
/// (<see cref="PassthroughRelay"/>).
/// </summary>
internal static class FrontDoorRelay
{
    public static async Task RelayAsync(HttpContext context, FrontDoor door, ILogger logger, ModelRoute route, IPassthroughBackend backend, PassthroughRequest request)
    {
        CancellationToken aborted = context.RequestAborted;
        using UpstreamResponse upstream = await backend.ForwardAsync(request, aborted);
        RequestUsage.Report(context, route.Model, route.Backend.Name, account: upstream.Account);
        RelayResult result = await PassthroughRelay.RelayAsync(upstream, door.RelayRules!, new HttpRelayTarget(context, door, route), request.ClientStreams, aborted);
        if (result.Failure is { } failure)
        {
            if (result.AfterFirstByte)
            {
                FrontDoorLog.FailedInBand(logger, door.Name, route.Backend.Name, failure.Status, failure.Message);
            }
            else
            {
                FrontDoorLog.UpstreamRefused(logger, door.Name, route.Backend.Name, failure.Status, failure.Message);
            }
        }
    }
}
