using Godex.Core.Storage;
using Npgsql;

namespace Godex.Core.Limits;

/// <summary>
/// <see cref="ISharedLimitStore"/> on PostgreSQL: a token bucket per key (<c>rate_buckets</c>, refilled by the
/// server's clock in <c>godex_take_tokens</c>, row-locked so concurrent leases never hand out a token twice) and
/// concurrency slots per key and instance (<c>concurrency_slots</c>; <c>godex_acquire_slot</c> counts only instances
/// that heart-beat within <see cref="PostgresDatabase.InstanceTimeout"/>, so a killed instance's slots free themselves).
/// </summary>
public sealed class PostgresSharedLimitStore(PostgresDatabase database) : ISharedLimitStore
{
    public async ValueTask<(int Granted, double Level)> TakeTokensAsync(string keyId, double perSecond, int capacity, int want, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT granted, level FROM godex_take_tokens(@key, @rate, @capacity, @want);", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<double>("rate", perSecond));
        command.Parameters.Add(new NpgsqlParameter<int>("capacity", capacity));
        command.Parameters.Add(new NpgsqlParameter<int>("want", want));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetDouble(1));
    }

    public async ValueTask ReturnTokensAsync(string keyId, int capacity, int tokens, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE rate_buckets SET tokens = LEAST(@capacity, tokens + @tokens) WHERE key_id = @key;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<double>("capacity", capacity));
        command.Parameters.Add(new NpgsqlParameter<double>("tokens", tokens));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<bool> TryAcquireSlotAsync(string keyId, int max, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT godex_acquire_slot(@key, @instance, @max);", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<string>("instance", database.InstanceId));
        command.Parameters.Add(new NpgsqlParameter<int>("max", max));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask ReleaseSlotAsync(string keyId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE concurrency_slots SET in_flight = GREATEST(0, in_flight - 1) WHERE key_id = @key AND instance_id = @instance;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("key", keyId));
        command.Parameters.Add(new NpgsqlParameter<string>("instance", database.InstanceId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
