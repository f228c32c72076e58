using Godex.Composition;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.State;
using Godex.Core.Storage;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Godex.Server.Hosting;

/// <summary>
/// <c>GET /readyz</c>: 200 when godex can serve, 503 otherwise, with each check named. Ready means the database (when
/// there is one) takes a write lock, and at least one backend has its login. <c>/health</c> stays the liveness probe
/// (the process answers); open to everyone, like it.
/// </summary>
internal static class ReadinessEndpoints
{
    public static IEndpointConventionBuilder MapReadiness(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet("/readyz", (RequestDelegate)(async context =>
        {
            IServiceProvider services = context.RequestServices;
            GodexOptions options = services.GetRequiredService<GodexOptions>();
            GodexState? state = services.GetService<GodexState>();
            string? database = state?.Sqlite is { } db ? DatabaseCheck(db)
                : state?.Postgres is { } postgres ? await PostgresCheckAsync(postgres, context.RequestAborted)
                : null;
            var backends = services.GetRequiredService<IReadOnlyList<IChatBackend>>()
                .Select(b => (b.Name, Ready: BackendFactory.IsReady(b.Name, options)))
                .ToList();
            bool ready = database is null or "ok" && backends.Any(b => b.Ready);
            await JsonResponse.WriteAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("status"u8, ready ? "ready"u8 : "not_ready"u8);
                writer.WriteStartObject("checks"u8);
                writer.WriteString("database"u8, database ?? "off");
                writer.WriteStartObject("backends"u8);
                foreach ((string name, bool isReady) in backends)
                {
                    writer.WriteString(name, isReady ? "ready"u8 : "no_login"u8);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndObject();
            });
        }));
    }

    /// <summary><c>ok</c> when the server answers and is not a read-only standby, else why not.</summary>
    private static async Task<string> PostgresCheckAsync(PostgresDatabase database, CancellationToken cancellationToken)
    {
        try
        {
            await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery();", connection);
            return await command.ExecuteScalarAsync(cancellationToken) is true ? "error: the server is a read-only standby" : "ok";
        }
        catch (Exception ex) when (ex is NpgsqlException or StorageException or TimeoutException)
        {
            return "error: " + ex.Message;
        }
    }

    /// <summary><c>ok</c> when a write goes through (it is rolled back: nothing changes), else why not.</summary>
    private static string DatabaseCheck(GodexDatabase database)
    {
        try
        {
            using SqliteConnection connection = database.OpenConnection();
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            using (SqliteCommand command = connection.CreateCommand())
            {
                // A real write (a read-only file or a full disk fails here), undone by the rollback.
                command.Transaction = transaction;
                command.CommandText = "UPDATE meta SET value = value WHERE name = 'keys_version';";
                command.ExecuteNonQuery();
            }

            transaction.Rollback();
            return "ok";
        }
        catch (SqliteException ex)
        {
            return "error: " + ex.Message;
        }
        catch (StorageException ex)
        {
            return "error: " + ex.Message;
        }
    }
}
