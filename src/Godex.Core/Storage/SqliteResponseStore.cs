using Microsoft.Data.Sqlite;

namespace Godex.Core.Storage;

/// <summary>
/// <see cref="IResponseStore"/> in the godex database, so <c>previous_response_id</c> survives restarts. Expired rows
/// are invisible at once and deleted on the next save; the table is capped at <see cref="MaxResponses"/> rows (the
/// oldest go first). Rows carry their owner (schema version 3); rows stored before that have the owner <c>''</c>,
/// which no caller has, so they are unreachable and expire with their TTL.
/// </summary>
public sealed class SqliteResponseStore(GodexDatabase database, TimeProvider time, int maxResponses = SqliteResponseStore.DefaultMaxResponses) : IResponseStore
{
    public const int DefaultMaxResponses = 10_000;

    public int MaxResponses { get; } = maxResponses > 0 ? maxResponses : throw new ArgumentOutOfRangeException(nameof(maxResponses));

    public ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        using SqliteConnection connection = database.OpenConnection();
        using SqliteTransaction transaction = connection.BeginTransaction();
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT OR REPLACE INTO responses (id, previous_id, model, json, created_at, expires_at, owner) VALUES ($id, $prev, $model, $json, $created, $expires, $owner);
                DELETE FROM responses WHERE expires_at <= $now;
                DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET $max);
                """;
            command.Parameters.AddWithValue("$id", response.Id);
            command.Parameters.AddWithValue("$prev", (object?)response.PreviousResponseId ?? DBNull.Value);
            command.Parameters.AddWithValue("$model", response.Model);
            command.Parameters.AddWithValue("$json", response.Json);
            command.Parameters.AddWithValue("$created", response.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$expires", response.ExpiresAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$owner", response.Owner);
            command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$max", MaxResponses);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    public ValueTask<StoredResponse?> GetAsync(string responseId, string owner, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT id, previous_id, model, json, created_at, expires_at, owner FROM responses WHERE id = $id AND owner = $owner AND expires_at > $now;";
        command.Parameters.AddWithValue("$id", responseId);
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return ValueTask.FromResult<StoredResponse?>(null);
        }

        var stored = new StoredResponse(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetString(2),
            (byte[])reader.GetValue(3),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
            reader.GetString(6));
        return ValueTask.FromResult<StoredResponse?>(stored);
    }

    public ValueTask<bool> DeleteAsync(string responseId, string owner, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenConnection();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM responses WHERE id = $id AND owner = $owner;";
        command.Parameters.AddWithValue("$id", responseId);
        command.Parameters.AddWithValue("$owner", owner);
        return ValueTask.FromResult(command.ExecuteNonQuery() > 0);
    }
}
