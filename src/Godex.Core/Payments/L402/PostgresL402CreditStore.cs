using Godex.Core.Storage;
using Npgsql;

namespace Godex.Core.Payments.L402;

/// <summary>
/// <see cref="IL402CreditStore"/> on PostgreSQL (<c>l402_credits</c>), shared by every instance: the redemption is
/// an <c>INSERT … ON CONFLICT DO NOTHING</c> (exactly one instance inserts the row, however many race), a request
/// starts by marking the row with its instance (one request in flight per payment across instances; the mark of an
/// instance that stopped heart-beating no longer counts), and the charge is one atomic <c>spent_msat + price</c>.
/// </summary>
public sealed class PostgresL402CreditStore(PostgresDatabase database) : IL402CreditStore
{
    public async ValueTask<bool> RedeemAsync(string paymentHash, string tokenId, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO l402_credits (payment_hash, token_id, credit_msat, spent_msat, redeemed_at) VALUES (@hash, @token, @credit, 0, @at) ON CONFLICT (payment_hash) DO NOTHING;",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("hash", paymentHash));
        command.Parameters.Add(new NpgsqlParameter<string>("token", tokenId));
        command.Parameters.Add(new NpgsqlParameter<long>("credit", creditMsat));
        command.Parameters.Add(new NpgsqlParameter<long>("at", at.ToUnixTimeMilliseconds()));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async ValueTask<L402Start> BeginAsync(string paymentHash, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            WITH taken AS (
                UPDATE l402_credits c SET busy_instance = @instance, busy_since = godex_now_ms()
                WHERE c.payment_hash = @hash AND c.spent_msat < c.credit_msat
                  AND (c.busy_instance IS NULL OR NOT EXISTS (
                      SELECT 1 FROM instances i WHERE i.id = c.busy_instance AND i.seen_at >= godex_now_ms() - @timeout))
                RETURNING c.credit_msat - c.spent_msat AS remaining)
            SELECT 0, remaining FROM taken
            UNION ALL
            SELECT CASE WHEN c.spent_msat >= c.credit_msat THEN 1 ELSE 2 END, c.credit_msat - c.spent_msat
            FROM l402_credits c WHERE c.payment_hash = @hash AND NOT EXISTS (SELECT 1 FROM taken);
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("hash", paymentHash));
        command.Parameters.Add(new NpgsqlParameter<string>("instance", database.InstanceId));
        command.Parameters.Add(new NpgsqlParameter<long>("timeout", (long)PostgresDatabase.InstanceTimeout.TotalMilliseconds));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new L402Start(L402StartResult.UsedUp, 0);
        }

        return new L402Start((L402StartResult)reader.GetInt32(0), reader.GetInt64(1));
    }

    public async ValueTask<long> ChargeAsync(string paymentHash, long msat, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "UPDATE l402_credits SET spent_msat = spent_msat + @msat, busy_instance = NULL, busy_since = NULL WHERE payment_hash = @hash RETURNING credit_msat - spent_msat;",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("hash", paymentHash));
        command.Parameters.Add(new NpgsqlParameter<long>("msat", msat));
        return (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }

    public async ValueTask<long?> RemainingAsync(string paymentHash, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT credit_msat - spent_msat FROM l402_credits WHERE payment_hash = @hash;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("hash", paymentHash));
        return await command.ExecuteScalarAsync(cancellationToken) is long remaining ? remaining : null;
    }

    public async ValueTask ImportSpentAsync(string paymentHash, long creditMsat, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO l402_credits (payment_hash, token_id, credit_msat, spent_msat, redeemed_at) VALUES (@hash, '', @credit, @credit, @at) ON CONFLICT (payment_hash) DO NOTHING;",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("hash", paymentHash));
        command.Parameters.Add(new NpgsqlParameter<long>("credit", creditMsat));
        command.Parameters.Add(new NpgsqlParameter<long>("at", at.ToUnixTimeMilliseconds()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
