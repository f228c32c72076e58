namespace Godex.Core.Storage;

/// <summary>
/// Where account cooldowns and reported usage are kept so that they survive a restart (a spent account stays avoided
/// until its reset). <see cref="SqliteAccountStateStore"/> is the default; the contract is small on purpose so that
/// another store (PostgreSQL) can fill it.
/// </summary>
public interface IAccountStateStore
{
    /// <summary>Every account's last saved state, for one backend or (null) all of them.</summary>
    IReadOnlyList<AccountState> Load(string? backend);

    /// <summary>Saves states (insert or replace by backend and account), in one transaction.</summary>
    ValueTask SaveAsync(IReadOnlyList<AccountState> states, CancellationToken cancellationToken);

    /// <summary>Forgets one account's state; false when there was none.</summary>
    ValueTask<bool> DeleteAsync(string backend, string account, CancellationToken cancellationToken);
}
