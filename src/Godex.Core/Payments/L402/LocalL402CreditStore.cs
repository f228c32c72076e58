using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Core.Payments.L402;

/// <summary>
/// <see cref="IL402CreditStore"/> for one instance: the credits in memory under one lock (redemption exactly once
/// even when several requests arrive together), each redemption committed to the SQLite database
/// (<c>l402_credits</c>, fsynced) and each charge written after it (not fsynced: a power cut can only lose the last
/// charges, in the payer's favour). Without a database the JSONL ledger is the only record.
/// </summary>
public sealed class LocalL402CreditStore : IL402CreditStore
{
    private readonly GodexDatabase? _database;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Credit> _credits = new(StringComparer.Ordinal);

    public LocalL402CreditStore(GodexDatabase? database)
    {
        _database = database;
        if (database is null)
        {
            return;
        }

        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT payment_hash, credit_msat, spent_msat FROM l402_credits;";
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            _credits[reader.GetString(0)] = new Credit(reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    private sealed class Credit(long creditMsat, long spentMsat)
    {
        public long CreditMsat { get; } = creditMsat;

        public long SpentMsat { get; set; } = spentMsat;

        public bool Busy { get; set; }

        public long RemainingMsat => CreditMsat - SpentMsat;
    }

    public ValueTask<bool> RedeemAsync(string paymentHash, string tokenId, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_credits.ContainsKey(paymentHash))
            {
                return ValueTask.FromResult(false);
            }

            if (_database is not null)
            {
                using SqliteConnection connection = _database.OpenConnection();
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "INSERT OR IGNORE INTO l402_credits (payment_hash, token_id, credit_msat, spent_msat, redeemed_at) VALUES ($hash, $token, $credit, 0, $at);";
                command.Parameters.AddWithValue("$hash", paymentHash);
                command.Parameters.AddWithValue("$token", tokenId);
                command.Parameters.AddWithValue("$credit", creditMsat);
                command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
                command.ExecuteNonQuery();
            }

            _credits[paymentHash] = new Credit(creditMsat, 0);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<L402Start> BeginAsync(string paymentHash, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_credits.TryGetValue(paymentHash, out Credit? credit) || credit.RemainingMsat <= 0)
            {
                return ValueTask.FromResult(new L402Start(L402StartResult.UsedUp, credit?.RemainingMsat ?? 0));
            }

            if (credit.Busy)
            {
                return ValueTask.FromResult(new L402Start(L402StartResult.Busy, credit.RemainingMsat));
            }

            credit.Busy = true;
            return ValueTask.FromResult(new L402Start(L402StartResult.Started, credit.RemainingMsat));
        }
    }

    public ValueTask<long> ChargeAsync(string paymentHash, long msat, CancellationToken cancellationToken)
    {
        long spent;
        long remaining;
        lock (_lock)
        {
            Credit credit = _credits[paymentHash];
            credit.SpentMsat += msat;
            credit.Busy = false;
            spent = credit.SpentMsat;
            remaining = credit.RemainingMsat;
        }

        if (_database is not null && msat > 0)
        {
            using SqliteConnection connection = _database.OpenConnection(CommitDurability.ProcessCrash);
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "UPDATE l402_credits SET spent_msat = max(spent_msat, $spent) WHERE payment_hash = $hash;";
            command.Parameters.AddWithValue("$spent", spent);
            command.Parameters.AddWithValue("$hash", paymentHash);
            command.ExecuteNonQuery();
        }

        return ValueTask.FromResult(remaining);
    }

    public ValueTask<long?> RemainingAsync(string paymentHash, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_credits.TryGetValue(paymentHash, out Credit? credit) ? credit.RemainingMsat : (long?)null);
        }
    }

    public ValueTask ImportSpentAsync(string paymentHash, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _credits.TryAdd(paymentHash, new Credit(creditMsat, creditMsat));
        }

        return ValueTask.CompletedTask;
    }
}
