namespace Godex.Core.Limits;

/// <summary>
/// Upstream accounts resting after a quota or rate-limit error, shared by every instance on the same database: an
/// account pool calls <see cref="SetAsync"/> when an account is told to back off and skips the accounts
/// <see cref="ListActiveAsync"/> returns. <see cref="SqliteAccountCooldownStore"/> and
/// <see cref="PostgresAccountCooldownStore"/> implement it (the PostgreSQL one also raises <c>NOTIFY godex_cooldowns</c>).
/// </summary>
public interface IAccountCooldownStore
{
    /// <summary>Rests <see cref="AccountCooldown.AccountKey"/> until <see cref="AccountCooldown.Until"/> (replacing an earlier cooldown).</summary>
    ValueTask SetAsync(AccountCooldown cooldown, CancellationToken cancellationToken);

    /// <summary>The cooldowns not yet over, soonest end first.</summary>
    ValueTask<IReadOnlyList<AccountCooldown>> ListActiveAsync(CancellationToken cancellationToken);

    /// <summary>Ends an account's cooldown now; false when it had none.</summary>
    ValueTask<bool> ClearAsync(string accountKey, CancellationToken cancellationToken);
}

/// <summary>One account's cooldown.</summary>
/// <param name="AccountKey">The pool's stable name for the account (e.g. <c>codex:user@example.com</c>); never a credential.</param>
/// <param name="Until">When the account may serve again.</param>
/// <param name="Reason">Why, for status output (<c>429 usage_limit_reached</c>).</param>
public sealed record AccountCooldown(string AccountKey, DateTimeOffset Until, string Reason);
