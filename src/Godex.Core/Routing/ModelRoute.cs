using Godex.Core.Backends;

namespace Godex.Core.Routing;

/// <summary>Where a model name goes: the backend and the model id it receives.</summary>
/// <param name="Backend">The backend that serves the model.</param>
/// <param name="Model">The model id after alias expansion.</param>
/// <param name="Alias">The name the client used, when it was an alias.</param>
public sealed record ModelRoute(IChatBackend Backend, string Model, string? Alias)
{
    /// <summary>The model that was routed first, when every account of its backend was cooling down and <c>routing.fallbacks</c> chose this one instead.</summary>
    public string? FallbackFor { get; init; }
}
