namespace Godex.Core.Backends.Pools;

/// <summary>Every backend's pool in one process, for the status screens and so that pending state is saved at shutdown.</summary>
public sealed class AccountPools : IDisposable
{
    private readonly List<AccountPool> _pools = [];

    /// <summary>The pools, in backend order.</summary>
    public IReadOnlyList<AccountPool> All
    {
        get
        {
            lock (_pools)
            {
                return [.. _pools];
            }
        }
    }

    public void Add(AccountPool pool)
    {
        lock (_pools)
        {
            _pools.Add(pool);
        }
    }

    /// <summary>Saves every pool's unsaved state.</summary>
    public void Dispose()
    {
        foreach (AccountPool pool in All)
        {
            pool.Dispose();
        }
    }
}
