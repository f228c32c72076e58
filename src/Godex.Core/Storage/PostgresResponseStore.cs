using Npgsql;
using NpgsqlTypes;

namespace Godex.Core.Storage;

/// <summary>
/// <see cref="IResponseStore"/> on PostgreSQL, so <c>previous_response_id</c> works whichever instance serves the
/// next turn. Expired rows are invisible at once; every <see cref="TrimEvery"/> saves one instance deletes the
/// expired ones and trims the table to <see cref="MaxResponses"/> rows (the oldest go first), which keeps the save
/// itself one INSERT.
/// </summary>
public sealed class PostgresResponseStore(PostgresDatabase database, TimeProvider time, int maxResponses = SqliteResponseStore.DefaultMaxResponses) : IResponseStore
{
    public const int TrimEvery = 100;

    private int _saves;

    public int MaxResponses { get; } = maxResponses > 0 ? maxResponses : throw new ArgumentOutOfRangeException(nameof(maxResponses));

    public async ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO responses (id, previous_id, model, json, created_at, expires_at) VALUES (@id, @prev, @model, @json, @created, @expires)
            ON CONFLICT (id) DO UPDATE SET previous_id = EXCLUDED.previous_id, model = EXCLUDED.model, json = EXCLUDED.json,
                created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
            """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("id", response.Id));
            command.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.Text) { Value = (object?)response.PreviousResponseId ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter<string>("model", response.Model));
            command.Parameters.Add(new NpgsqlParameter<byte[]>("json", response.Json));
            command.Parameters.Add(new NpgsqlParameter<long>("created", response.CreatedAt.ToUnixTimeMilliseconds()));
            command.Parameters.Add(new NpgsqlParameter<long>("expires", response.ExpiresAt.ToUnixTimeMilliseconds()));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (Interlocked.Increment(ref _saves) % TrimEvery == 1)
        {
            await using var trim = new NpgsqlCommand(
                """
                DELETE FROM responses WHERE expires_at <= @now;
                DELETE FROM responses WHERE created_at < (SELECT created_at FROM responses ORDER BY created_at DESC OFFSET @max LIMIT 1);
                """,
                connection);
            trim.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
            trim.Parameters.Add(new NpgsqlParameter<int>("max", MaxResponses - 1));
            await trim.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask<StoredResponse?> GetAsync(string responseId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT id, previous_id, model, json, created_at, expires_at FROM responses WHERE id = @id AND expires_at > @now;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("id", responseId));
        command.Parameters.Add(new NpgsqlParameter<long>("now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredResponse(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetString(2),
            reader.GetFieldValue<byte[]>(3),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)));
    }

    public async ValueTask<bool> DeleteAsync(string responseId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("DELETE FROM responses WHERE id = @id;", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("id", responseId));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
