namespace Godex.Core.Backends.Pools;

/// <summary>A backend whose requests go through accounts (<see cref="AccountPool"/>): the router asks it whether any can serve.</summary>
public interface IPooledBackend
{
    /// <summary>The backend's accounts.</summary>
    AccountPool Pool { get; }
}
