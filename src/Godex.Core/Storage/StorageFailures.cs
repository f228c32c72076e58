using Microsoft.Data.Sqlite;
using Npgsql;

namespace Godex.Core.Storage;

/// <summary>
/// The failures of a database (SQLite busy past its timeout, PostgreSQL unreachable), as opposed to a bug: the front
/// doors answer them with a 503 and <c>Retry-After</c>, never the 500 that means godex itself failed.
/// </summary>
public static class StorageFailures
{
    /// <summary>True for a database's failure.</summary>
    public static bool IsStorageFailure(Exception exception) =>
        exception is SqliteException or NpgsqlException or StorageException or TimeoutException;
}
