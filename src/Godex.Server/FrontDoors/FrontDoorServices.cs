using Godex.Core.Configuration;
using Godex.Core.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.FrontDoors;

/// <summary>
/// The singletons a front door uses on every request, resolved once — on the first request, not at start, so the
/// first answer after start does not wait for them — instead of three container lookups per request.
/// </summary>
internal sealed record FrontDoorServices(ModelRouter Router, GodexOptions Options, TimeProvider Time)
{
    public static FrontDoorServices Of(IServiceProvider services) => new(
        services.GetRequiredService<ModelRouter>(),
        services.GetRequiredService<GodexOptions>(),
        services.GetService<TimeProvider>() ?? TimeProvider.System);
}
