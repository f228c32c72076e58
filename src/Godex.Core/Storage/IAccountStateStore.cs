namespace Godex.Core.Storage;

/// <summary>
/// Where the usage an upstream reported and the last error of each account are kept so that they survive a restart
/// (cooldowns are in <c>IAccountCooldownStore</c>, shared by every instance). <see cref="SqliteAccountStateStore"/> is
/// the one store.
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
