using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Godex.Core.Storage;

/// <summary>
/// godex's state on a PostgreSQL server, shared by several godex instances: client keys, the usage ledger, stored
/// responses, L402 credits, the shared rate buckets and concurrency slots, and account cooldowns. Opening it applies
/// the versioned migrations (table <c>schema_migrations</c>, under an advisory lock so instances starting together
/// migrate once) and fails with a <see cref="StorageException"/> that names the database and what failed:
/// unreachable, authentication, missing database, or a schema newer than this binary. The password never appears.
/// </summary>
/// <remarks>
/// Npgsql in its trimming-safe form (<see cref="NpgsqlSlimDataSourceBuilder"/>: only the basic type handlers, no
/// reflection) with its connection pool (<see cref="PostgresUrl"/> sets the size). A running proxy also starts
/// <see cref="StartBackgroundAsync"/>: a heartbeat row per instance (<c>instances</c>; the concurrency slots and L402
/// in-flight marks of an instance that stopped heart-beating for <see cref="InstanceTimeout"/> no longer count) and
/// one connection that <c>LISTEN</c>s, so a key change made anywhere reaches every instance in milliseconds
/// (<see cref="Changed"/>).
/// </remarks>
public sealed partial class PostgresDatabase : IAsyncDisposable
{
    /// <summary>NOTIFY channel raised by every key change (payload: the new keys version).</summary>
    public const string KeysChannel = "godex_keys";

    /// <summary>NOTIFY channel raised by every account cooldown change.</summary>
    public const string CooldownsChannel = "godex_cooldowns";

    /// <summary>How often an instance refreshes its heartbeat.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent for this long is dead: its concurrency slots and L402 marks are released.</summary>
    public static readonly TimeSpan InstanceTimeout = TimeSpan.FromSeconds(10);

    private const long MigrationLockId = 0x6f64_6578_6d69_6772; // "godexmigr": one lock for every godex instance

    private readonly NpgsqlDataSource _source;
    private readonly CancellationTokenSource _stop = new();
    private Task? _heartbeat;
    private Task? _listener;
    private ILogger _logger = NullLogger.Instance;

    private PostgresDatabase(NpgsqlDataSource source, string description, byte[] keySecret)
    {
        _source = source;
        Description = description;
        KeySecret = keySecret;
        InstanceId = "i_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    /// <summary><c>postgres://user@host:port/database</c> (no password).</summary>
    public string Description { get; }

    /// <summary>This process's id in <c>instances</c>, concurrency slots and L402 marks.</summary>
    public string InstanceId { get; }

    /// <summary>The per-database secret client-key hashes are keyed with (HMAC-SHA256), shared by every instance.</summary>
    internal byte[] KeySecret { get; }

    /// <summary>The newest schema version this build knows.</summary>
    public static int SchemaVersion => s_migrations.Length;

    /// <summary>Raised (on a background thread) with the channel name when another process (or this one) changed state.</summary>
    public event Action<string>? Changed;

    /// <summary>Connects, checks and migrates the database at <paramref name="url"/>.</summary>
    public static async Task<PostgresDatabase> OpenAsync(string url, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder settings = PostgresUrl.Parse(url);
        string description = PostgresUrl.Describe(settings);
        NpgsqlDataSource source = new NpgsqlSlimDataSourceBuilder(settings.ConnectionString).Build();
        try
        {
            await using NpgsqlConnection connection = await source.OpenConnectionAsync(cancellationToken);
            await MigrateAsync(connection, description, cancellationToken);
            string secretHex = (string)(await ScalarAsync(connection, "SELECT text_value FROM meta WHERE name = 'key_secret';", cancellationToken))!;
            return new PostgresDatabase(source, description, Convert.FromHexString(secretHex));
        }
        catch (Exception ex) when (ex is NpgsqlException or StorageException or TimeoutException)
        {
            await source.DisposeAsync();
            if (ex is StorageException)
            {
                throw;
            }

            throw new StorageException(Describe(description, ex), ex);
        }
    }

    /// <summary>A pooled connection, open.</summary>
    public async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new StorageException(Describe(Description, ex), ex);
        }
    }

    /// <summary>A pooled connection, open (for the few synchronous callers: the quota seed).</summary>
    public NpgsqlConnection OpenConnection()
    {
        try
        {
            return _source.OpenConnection();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new StorageException(Describe(Description, ex), ex);
        }
    }

    /// <summary>Starts the heartbeat and the LISTEN connection (the proxy; CLI commands need neither).</summary>
    public async Task StartBackgroundAsync(ILogger logger, CancellationToken cancellationToken)
    {
        _logger = logger;
        await BeatAsync(cancellationToken);
        _heartbeat = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener = Task.Run(() => ListenLoopAsync(listening), CancellationToken.None);
        // Wait for the first LISTEN so a change made right after startup is not missed.
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO instances (id, started_at, seen_at) VALUES (@id, godex_now_ms(), godex_now_ms())
            ON CONFLICT (id) DO UPDATE SET seen_at = godex_now_ms();
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string>("id", InstanceId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(HeartbeatInterval);
        int beats = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await BeatAsync(_stop.Token);
                    if (++beats % 60 == 0)
                    {
                        await ForgetDeadInstancesAsync(_stop.Token);
                    }
                }
                catch (Exception ex) when (ex is StorageException or NpgsqlException or TimeoutException)
                {
                    Log.HeartbeatFailed(_logger, Description, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task ForgetDeadInstancesAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            DELETE FROM concurrency_slots s WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = s.instance_id AND i.seen_at >= godex_now_ms() - 60000);
            DELETE FROM instances WHERE seen_at < godex_now_ms() - 60000;
            """,
            connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ListenLoopAsync(TaskCompletionSource listening)
    {
        bool first = true;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await OpenConnectionAsync(_stop.Token);
                connection.Notification += (_, e) => Raise(e.Channel);
                await using (var command = new NpgsqlCommand($"LISTEN {KeysChannel}; LISTEN {CooldownsChannel};", connection))
                {
                    await command.ExecuteNonQueryAsync(_stop.Token);
                }

                if (first)
                {
                    first = false;
                    listening.TrySetResult();
                }
                else
                {
                    // Reconnected: whatever was notified while the connection was down is unknown, so say "changed".
                    Log.ListenResumed(_logger, Description);
                    Raise(KeysChannel);
                    Raise(CooldownsChannel);
                }

                while (true)
                {
                    await connection.WaitAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or NpgsqlException or TimeoutException or IOException)
            {
                Log.ListenFailed(_logger, Description, ex);
                listening.TrySetResult(); // startup goes on: the key cache's poll still picks changes up
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Raise(string channel)
    {
        try
        {
            Changed?.Invoke(channel);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ChangeHandlerFailed(_logger, channel, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_heartbeat is not null)
        {
            await _heartbeat;
        }

        if (_listener is not null)
        {
            await _listener;
        }

        if (_heartbeat is not null)
        {
            // A clean stop gives its concurrency slots and L402 marks back at once rather than after InstanceTimeout.
            try
            {
                await using NpgsqlConnection connection = await OpenConnectionAsync(CancellationToken.None);
                await using var command = new NpgsqlCommand(
                    """
                    DELETE FROM concurrency_slots WHERE instance_id = @id;
                    UPDATE l402_credits SET busy_instance = NULL WHERE busy_instance = @id;
                    DELETE FROM instances WHERE id = @id;
                    """,
                    connection);
                command.Parameters.Add(new NpgsqlParameter<string>("id", InstanceId));
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is StorageException or NpgsqlException or TimeoutException)
            {
                Log.HeartbeatFailed(_logger, Description, ex);
            }
        }

        _stop.Dispose();
        await _source.DisposeAsync();
    }

    /// <summary>What failed, in words an operator can act on; never the password.</summary>
    internal static string Describe(string database, Exception ex)
    {
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => $"database {database}: authentication failed ({pg.MessageText}); check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)",
                "3D000" => $"database {database} does not exist on that server; create it (createdb) or fix the URL",
                "42501" => $"database {database}: permission denied ({pg.MessageText}); the user needs to own the database or its public schema",
                "57P03" => $"database {database} is starting up or shutting down; retry in a moment",
                _ => $"database {database}: {pg.SqlState} {pg.MessageText}",
            };
        }

        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return $"database {database} is unreachable ({socket.SocketErrorCode}: {socket.Message}); check the server is running and the host and port are right";
            }

            if (inner is TimeoutException)
            {
                return $"database {database} is unreachable (timed out); check the server is running and the host and port are right";
            }
        }

        return $"database {database}: {ex.Message}";
    }

    private static async Task MigrateAsync(NpgsqlConnection connection, string description, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockId});", cancellationToken);
        try
        {
            await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL);", cancellationToken);
            int current = (int)(await ScalarAsync(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken) ?? 0);
            if (current > s_migrations.Length)
            {
                throw new StorageException($"database {description} has schema version {current}, newer than this godex understands ({s_migrations.Length}); upgrade godex");
            }

            for (int version = current + 1; version <= s_migrations.Length; version++)
            {
                await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(s_migrations[version - 1], connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var command = new NpgsqlCommand("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, godex_now_ms());", connection, transaction))
                {
                    command.Parameters.Add(new NpgsqlParameter<int>("v", version));
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                if (version == 1)
                {
                    await using var command = new NpgsqlCommand("INSERT INTO meta (name, text_value) VALUES ('key_secret', @s);", connection, transaction);
                    command.Parameters.Add(new NpgsqlParameter<string>("s", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))));
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLockId});", CancellationToken.None);
            }
        }
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    // Append-only: a released migration is never edited; a change is a new entry. Times are Unix milliseconds (UTC),
    // as in the SQLite database, so `godex proxy db migrate` copies rows as they are. Time-sensitive shared state
    // (buckets, heartbeats) uses the server's clock (godex_now_ms), so instances with skewed clocks still agree.
    private static readonly string[] s_migrations =
    [
        """
        CREATE FUNCTION godex_now_ms() RETURNS bigint LANGUAGE sql VOLATILE
            AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
        CREATE TABLE meta (name text PRIMARY KEY, text_value text, int_value bigint NOT NULL DEFAULT 0);
        INSERT INTO meta (name, int_value) VALUES ('keys_version', 0), ('cooldowns_version', 0);
        CREATE TABLE keys (
            id text PRIMARY KEY,
            label text NOT NULL,
            hash text NOT NULL UNIQUE,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            revoked_at bigint,
            expires_at bigint,
            rotated_at bigint,
            rate text,
            burst integer,
            quota_tokens bigint NOT NULL DEFAULT 0,
            max_concurrent integer NOT NULL DEFAULT 0,
            models text NOT NULL DEFAULT '',
            token_allowance bigint NOT NULL DEFAULT 0,
            allowance_seconds bigint NOT NULL DEFAULT 0,
            allowance_window_start bigint,
            token_balance bigint NOT NULL DEFAULT 0,
            usage_reset_at bigint
        );
        CREATE TABLE usage (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts bigint NOT NULL,
            key_id text NOT NULL,
            model text NOT NULL,
            backend text NOT NULL,
            account text,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            latency_ms bigint NOT NULL,
            status integer NOT NULL,
            request_id text NOT NULL,
            path text NOT NULL
        );
        CREATE INDEX usage_key_ts ON usage (key_id, ts);
        -- Rows arrive in time order: a BRIN index serves "since" scans at a fraction of a B-tree's cost per insert.
        CREATE INDEX usage_ts ON usage USING brin (ts);
        CREATE TABLE responses (
            id text PRIMARY KEY,
            previous_id text,
            model text NOT NULL,
            json bytea NOT NULL,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL
        );
        CREATE INDEX responses_expires ON responses (expires_at);
        CREATE INDEX responses_created ON responses (created_at);
        CREATE TABLE l402_credits (
            payment_hash text PRIMARY KEY,
            token_id text NOT NULL,
            credit_msat bigint NOT NULL,
            spent_msat bigint NOT NULL DEFAULT 0,
            redeemed_at bigint NOT NULL,
            busy_instance text,
            busy_since bigint
        );
        CREATE TABLE instances (id text PRIMARY KEY, started_at bigint NOT NULL, seen_at bigint NOT NULL);
        CREATE TABLE rate_buckets (key_id text PRIMARY KEY, tokens double precision NOT NULL, refilled_at bigint NOT NULL);
        CREATE TABLE concurrency_slots (
            key_id text NOT NULL,
            instance_id text NOT NULL,
            in_flight integer NOT NULL,
            PRIMARY KEY (key_id, instance_id)
        );
        CREATE TABLE account_cooldowns (
            account_key text PRIMARY KEY,
            until_at bigint NOT NULL,
            reason text NOT NULL,
            set_at bigint NOT NULL
        );

        -- Takes up to p_want whole tokens from a key's shared bucket (refilled at p_per_second up to p_capacity first).
        CREATE FUNCTION godex_take_tokens(p_key text, p_per_second double precision, p_capacity integer, p_want integer)
        RETURNS TABLE (granted integer, level double precision) LANGUAGE plpgsql AS $$
        DECLARE
            v_now bigint := godex_now_ms();
            v_tokens double precision;
            v_at bigint;
        BEGIN
            INSERT INTO rate_buckets AS b (key_id, tokens, refilled_at) VALUES (p_key, p_capacity, v_now) ON CONFLICT (key_id) DO NOTHING;
            SELECT b.tokens, b.refilled_at INTO v_tokens, v_at FROM rate_buckets b WHERE b.key_id = p_key FOR UPDATE;
            v_tokens := least(p_capacity::double precision, v_tokens + greatest(0, v_now - v_at) / 1000.0 * p_per_second);
            granted := greatest(0, least(p_want, floor(v_tokens)))::integer;
            v_tokens := v_tokens - granted;
            UPDATE rate_buckets b SET tokens = v_tokens, refilled_at = greatest(v_at, v_now) WHERE b.key_id = p_key;
            level := v_tokens;
            RETURN NEXT;
        END $$;

        -- One concurrency slot of a key across instances (slots of instances silent for 10 s do not count).
        CREATE FUNCTION godex_acquire_slot(p_key text, p_instance text, p_max integer) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE
            v_used bigint;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtextextended('godex-slot:' || p_key, 0));
            SELECT coalesce(sum(s.in_flight), 0) INTO v_used FROM concurrency_slots s JOIN instances i ON i.id = s.instance_id
                WHERE s.key_id = p_key AND i.seen_at >= godex_now_ms() - 10000;
            IF v_used >= p_max THEN
                RETURN false;
            END IF;
            INSERT INTO concurrency_slots AS s (key_id, instance_id, in_flight) VALUES (p_key, p_instance, 1)
                ON CONFLICT (key_id, instance_id) DO UPDATE SET in_flight = s.in_flight + 1;
            RETURN true;
        END $$;
        """,
        """
        -- Stored responses belong to the identity that created them (issue 14): rows from before have none and are
        -- unreachable.
        ALTER TABLE responses ADD COLUMN owner text NOT NULL DEFAULT '';
        """,

        // Issue 18, spend in money and budgets per key: each request's cost at list price in micro-dollars (exact
        // integers), and a key's spend cap per window (0 = none; windows aligned to the Unix epoch).
        """
        ALTER TABLE usage ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0;
        ALTER TABLE keys ADD COLUMN budget_micros bigint NOT NULL DEFAULT 0;
        ALTER TABLE keys ADD COLUMN budget_seconds bigint NOT NULL DEFAULT 0;
        """,

        // Issue 20, the dashboard's time to first byte: each request's time from arrival to its response headers, in
        // ms. Null in rows from before (and when the client left first); the series skips them.
        """
        ALTER TABLE usage ADD COLUMN ttfb_ms bigint;
        """,
    ];

    // Next event id: 1904.
    private static partial class Log
    {
        [LoggerMessage(1900, LogLevel.Warning, "Heartbeat to {Database} failed; this instance's slots count until it resumes", EventName = "PostgresHeartbeatFailed")]
        public static partial void HeartbeatFailed(ILogger logger, string database, Exception exception);

        [LoggerMessage(1901, LogLevel.Warning, "LISTEN connection to {Database} lost; reconnecting (key changes are still polled every second)", EventName = "PostgresListenFailed")]
        public static partial void ListenFailed(ILogger logger, string database, Exception exception);

        [LoggerMessage(1902, LogLevel.Information, "LISTEN connection to {Database} back", EventName = "PostgresListenResumed")]
        public static partial void ListenResumed(ILogger logger, string database);

        [LoggerMessage(1903, LogLevel.Error, "Handling a change notification on {Channel} failed", EventName = "PostgresChangeHandlerFailed")]
        public static partial void ChangeHandlerFailed(ILogger logger, string channel, Exception exception);
    }
}
