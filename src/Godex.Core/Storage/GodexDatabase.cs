using Godex.Core.Conversation;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Godex.Core.Storage;

/// <summary>
/// godex's state in one SQLite file (WAL): client keys, the usage ledger, stored responses, account pools. Opening it applies the
/// versioned schema migrations (table <c>schema_migrations</c>) and checks the file; a corrupt, locked or too-new
/// file throws <see cref="StorageException"/> naming the path: godex never starts on top of silently lost state.
/// </summary>
/// <remarks>
/// Connections are pooled by Microsoft.Data.Sqlite; every operation opens one, uses it and gives it back (the usage
/// ledger keeps one of its own for its batches: SqliteUsageLedger), so the CLI and a running proxy can share the file (WAL readers never block the writer; writers wait up to
/// <see cref="BusyTimeout"/>). <c>synchronous=FULL</c>: a committed transaction survives a crash of the process and
/// of the machine.
/// </remarks>
public sealed class GodexDatabase
{
    /// <summary>How long a writer waits for another writer (another godex process) before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    private readonly string _connectionString;
    private static readonly Lock s_configuring = new();
    private static bool s_configured;

    private GodexDatabase(string path, string connectionString, byte[] keySecret)
    {
        Path = path;
        _connectionString = connectionString;
        KeySecret = keySecret;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The per-database secret client-key hashes are keyed with (HMAC-SHA256); never leaves the file.</summary>
    internal byte[] KeySecret { get; }

    /// <summary>Whether SQLite runs in multi-thread mode in this process (<see cref="ConfigureSqlite"/>).</summary>
    public static bool MultiThreadMode { get; private set; }

    /// <summary>
    /// Completes once a new file created with <c>syncNewFileLater</c> is on the disk (at once otherwise). Never faults:
    /// a failed sync leaves it to the next checkpoint.
    /// </summary>
    public Task Durable { get; private set; } = Task.CompletedTask;

    /// <summary>The newest schema version this build knows.</summary>
    public static int SchemaVersion => s_migrations.Length;

    /// <summary>Opens (creating if needed) and migrates the database at <paramref name="path"/> (<c>~</c> expanded).</summary>
    /// <param name="path">The file.</param>
    /// <param name="time">The clock of the migrations' timestamps.</param>
    /// <param name="syncNewFileLater">
    /// When the file is new: create and migrate it without waiting for the disk, and sync it right after, on another
    /// thread (<see cref="Durable"/>). For the proxy's start: a new database costs 8 fsyncs, and on ext4 each waits
    /// behind whatever else the disk is writing back (`bench/startup.py` beside a process writing files: 3 of 7 starts
    /// at 144-154 ms instead of ~80; none above 101 ms this way), while the file holds nothing yet that a crash could
    /// lose. The process dying keeps everything (the kernel has the writes); only an OS crash in the moment before the
    /// sync can leave a new file that the next start reports as corrupt. An existing file is never written this way.
    /// </param>
    public static GodexDatabase Open(string path, TimeProvider time, bool syncNewFileLater = false)
    {
        ArgumentNullException.ThrowIfNull(time);
        ConfigureSqlite();
        string full = ExpandHome(path);
        try
        {
            string? directory = System.IO.Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            bool created = !File.Exists(full);
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = full,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = (int)BusyTimeout.TotalSeconds,
            };
            string connectionString = builder.ToString();
            using (var connection = new SqliteConnection(connectionString))
            {
                connection.Open();
                if (created && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
                bool syncLater = created && syncNewFileLater;
                if (syncLater)
                {
                    Execute(connection, "PRAGMA synchronous = OFF;");
                }

                string journal = Scalar(connection, "PRAGMA journal_mode = WAL;") as string ?? "";
                if (!journal.Equals("wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new StorageException($"database {full}: cannot switch to WAL mode (journal_mode is '{journal}')");
                }

                string check = Scalar(connection, "PRAGMA quick_check;") as string ?? "";
                if (!check.Equals("ok", StringComparison.OrdinalIgnoreCase))
                {
                    throw new StorageException($"database {full} is corrupt ({check}); move it away and restore a backup, or delete it to start empty");
                }

                Migrate(connection, full, time);
                byte[] secret = (byte[])Scalar(connection, "SELECT value FROM meta WHERE name = 'key_secret';")!;
                if (!syncLater)
                {
                    return new GodexDatabase(full, connectionString, secret);
                }

                Execute(connection, "PRAGMA synchronous = FULL;"); // the connection goes back to the pool
                var database = new GodexDatabase(full, connectionString, secret);
                database.Durable = Task.Run(database.SyncToDisk);
                return database;
            }
        }
        catch (SqliteException ex)
        {
            throw new StorageException(Describe(full, ex), ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new StorageException($"database {full}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// An open connection (from the pool) with godex's per-connection settings. Commits are fsynced
    /// (<c>synchronous = FULL</c>): keys, credits and stored responses survive a power cut once the call returns.
    /// <paramref name="durability"/> <see cref="CommitDurability.ProcessCrash"/> (<c>synchronous = NORMAL</c>, for the
    /// usage ledger's batches) skips the fsync per commit: in WAL mode a commit still survives the process being
    /// killed, and only an OS crash or power cut can lose the last commits before the next checkpoint.
    /// </summary>
    public SqliteConnection OpenConnection(CommitDurability durability = CommitDurability.PowerLoss)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            // Set every time: pooled connections keep their pragmas, and the next user may need the other setting.
            string synchronous = durability == CommitDurability.PowerLoss ? "FULL" : "NORMAL";
            command.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous};";
            command.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new StorageException(Describe(Path, ex), ex);
        }
    }

    /// <summary>
    /// Puts SQLite in multi-thread mode (<c>SQLITE_CONFIG_MULTITHREAD</c>) instead of its default serialized mode, which
    /// takes and releases a mutex around every call on a connection: ~0.6 µs of each request's usage row in bench (a)
    /// (perf), for a guarantee godex does not need, since no connection or statement is used by two threads at once
    /// (Microsoft.Data.Sqlite's connections are not thread-safe and its pool hands each to one user; the usage ledger's
    /// own connection is used under its lock). Only possible before SQLite initializes, i.e. before the first connection
    /// in the process opens; when something opened one earlier, SQLite answers SQLITE_MISUSE and stays serialized,
    /// which is slower but just as correct.
    /// </summary>
    private static void ConfigureSqlite()
    {
        lock (s_configuring)
        {
            if (s_configured)
            {
                return;
            }

            s_configured = true;
            Batteries_V2.Init();
            MultiThreadMode = raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD) == raw.SQLITE_OK;
        }
    }

    /// <summary>
    /// Puts a file created without syncs on the disk: a checkpoint with <c>synchronous = FULL</c> syncs the WAL, copies
    /// its pages (the migrated schema, page 1 with the header that says WAL) into the database file and syncs that.
    /// </summary>
    private void SyncToDisk()
    {
        try
        {
            using SqliteConnection connection = OpenConnection(CommitDurability.PowerLoss);
            Scalar(connection, "PRAGMA wal_checkpoint(PASSIVE);");
        }
        catch (Exception ex) when (ex is StorageException or SqliteException or IOException)
        {
            // Busy or gone: the next checkpoint (the WAL's automatic one, or the last connection closing) syncs it.
        }
    }

    /// <summary>Expands a leading <c>~</c> to the home directory.</summary>
    public static string ExpandHome(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            // Configuration.UserHome's answer (Storage sits below Configuration): $HOME even when it does not exist yet.
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            return System.IO.Path.GetFullPath(System.IO.Path.Join(home, path[1..].TrimStart('/')));
        }

        return System.IO.Path.GetFullPath(path);
    }

    private static string Describe(string path, SqliteException ex) => ex.SqliteErrorCode switch
    {
        5 or 6 => $"database {path} is locked by another program (waited {BusyTimeout.TotalSeconds:0} s); stop it or use another proxy.database",
        11 or 26 => $"database {path} is corrupt or not a godex database ({ex.Message}); move it away and restore a backup, or delete it to start empty",
        14 => $"database {path} cannot be opened ({ex.Message}); check the directory exists and is writable",
        _ => $"database {path}: {ex.Message}",
    };

    private static void Migrate(SqliteConnection connection, string path, TimeProvider time)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        long current = (long)(Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;") ?? 0L);
        if (current > s_migrations.Length)
        {
            throw new StorageException($"database {path} has schema version {current}, newer than this godex understands ({s_migrations.Length}); upgrade godex");
        }

        if (current == s_migrations.Length)
        {
            return;
        }

        // Every pending step in one transaction: a new database costs one commit (one fsync of the WAL) instead of one
        // per step (9 today, ~1.5-2 ms each on a VM's disk, of a first start's ~150 ms), and a failing step still leaves
        // the file as it was. BEGIN IMMEDIATE takes the write lock first, so the version is read again under it: another
        // godex that created the same file a moment earlier has migrated it by then, and nothing is applied twice.
        using SqliteTransaction transaction = connection.BeginTransaction();
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;";
            current = (long)(command.ExecuteScalar() ?? 0L);
        }

        for (int version = (int)current + 1; version <= s_migrations.Length; version++)
        {
            Apply(connection, transaction, version, time);
        }

        transaction.Commit();
    }

    private static void Apply(SqliteConnection connection, SqliteTransaction transaction, int version, TimeProvider time)
    {
        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = s_migrations[version - 1];
            command.ExecuteNonQuery();
        }

        using (SqliteCommand command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t);";
            command.Parameters.AddWithValue("$v", version);
            command.Parameters.AddWithValue("$t", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }

        if (version == 1)
        {
            using SqliteCommand command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO meta (name, value) VALUES ('key_secret', $s), ('keys_version', 0);";
            command.Parameters.AddWithValue("$s", SecureRandom.GetBytes(32));
            command.ExecuteNonQuery();
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    // Append-only: a released migration is never edited; a change is a new entry. Times are Unix milliseconds (UTC).
    private static readonly string[] s_migrations =
    [
        """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
        CREATE TABLE keys (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            revoked_at INTEGER,
            expires_at INTEGER,
            rotated_at INTEGER,
            rate TEXT,
            burst INTEGER,
            quota_tokens INTEGER NOT NULL DEFAULT 0,
            max_concurrent INTEGER NOT NULL DEFAULT 0,
            models TEXT NOT NULL DEFAULT '',
            token_allowance INTEGER NOT NULL DEFAULT 0,
            allowance_seconds INTEGER NOT NULL DEFAULT 0,
            allowance_window_start INTEGER,
            token_balance INTEGER NOT NULL DEFAULT 0,
            usage_reset_at INTEGER
        ) STRICT;
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            model TEXT NOT NULL,
            backend TEXT NOT NULL,
            account TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            latency_ms INTEGER NOT NULL,
            status INTEGER NOT NULL,
            request_id TEXT NOT NULL,
            path TEXT NOT NULL
        ) STRICT;
        CREATE INDEX usage_key_ts ON usage (key_id, ts);
        CREATE INDEX usage_ts ON usage (ts);
        CREATE TABLE responses (
            id TEXT PRIMARY KEY,
            previous_id TEXT,
            model TEXT NOT NULL,
            json BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX responses_expires ON responses (expires_at);
        """,
        """
        CREATE TABLE l402_credits (
            payment_hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL,
            credit_msat INTEGER NOT NULL,
            spent_msat INTEGER NOT NULL DEFAULT 0,
            redeemed_at INTEGER NOT NULL
        ) STRICT;
        """,
        """
        CREATE TABLE account_cooldowns (
            account_key TEXT PRIMARY KEY,
            until_at INTEGER NOT NULL,
            reason TEXT NOT NULL,
            set_at INTEGER NOT NULL
        ) STRICT;
        """,
        """
        -- Stored responses belong to the identity that created them (issue 14): rows from before have none and are
        -- unreachable.
        ALTER TABLE responses ADD COLUMN owner TEXT NOT NULL DEFAULT '';
        """,

        // Issue 18, spend in money: each request's cost at list price, in micro-dollars (exact integers).
        """
        ALTER TABLE usage ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0;
        """,

        // Issue 18, budgets per key: a spend cap in micro-dollars per window (0 = none), windows aligned to the Unix epoch.
        """
        ALTER TABLE keys ADD COLUMN budget_micros INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE keys ADD COLUMN budget_seconds INTEGER NOT NULL DEFAULT 0;
        """,

        // Account pools (issue 17): the last error and the usage windows upstreams report, per backend account, so that
        // an account near its limit stays avoided across a restart (SqliteAccountStateStore). Cooldowns themselves are
        // in account_cooldowns (IAccountCooldownStore), shared with PostgreSQL.
        """
        CREATE TABLE account_state (
            backend TEXT NOT NULL,
            account TEXT NOT NULL,
            last_error TEXT,
            primary_used REAL,
            primary_window INTEGER,
            primary_reset INTEGER,
            secondary_used REAL,
            secondary_window INTEGER,
            secondary_reset INTEGER,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (backend, account)
        ) STRICT;
        """,

        // Account pools (issue 17): accounts added with `godex accounts add`, served beside the config's list
        // (SqliteAccountRegistry).
        """
        CREATE TABLE accounts (
            backend TEXT NOT NULL,
            name TEXT NOT NULL,
            login_path TEXT,
            api_key TEXT,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (backend, name)
        ) STRICT;
        """,

        // Issue 20, the dashboard's time to first byte: each request's time from arrival to its response headers, in
        // ms. Null in rows from before (and when the client left first); the series skips them.
        """
        ALTER TABLE usage ADD COLUMN ttfb_ms INTEGER;
        """,

        // Issue 21, the ledger's row cheaper: a row's id carries its time (id >= ts * 1024; SqliteUsageLedger.IdAtOrAfter),
        // so the queries by time range over the table itself and the usage_ts index, a third B-tree written with every
        // row (~2 us of the ~4.5 us a row cost), goes. Rows from before are renumbered in time order by the same rule:
        // id_n = max(ts_n * 1024, id_(n-1) + 1), whose closed form is n + max over k <= n of (ts_k * 1024 - k).
        """
        CREATE TABLE usage_by_time (
            id INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            model TEXT NOT NULL,
            backend TEXT NOT NULL,
            account TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            latency_ms INTEGER NOT NULL,
            status INTEGER NOT NULL,
            request_id TEXT NOT NULL,
            path TEXT NOT NULL,
            cost_micros INTEGER NOT NULL DEFAULT 0,
            ttfb_ms INTEGER
        ) STRICT;
        INSERT INTO usage_by_time
            SELECT n + MAX(ts * 1024 - n) OVER (ORDER BY n ROWS UNBOUNDED PRECEDING), ts, key_id, model, backend, account, input_tokens,
                output_tokens, cached_tokens, reasoning_tokens, latency_ms, status, request_id, path, cost_micros, ttfb_ms
            FROM (SELECT ROW_NUMBER() OVER (ORDER BY ts, id) AS n, * FROM usage)
            ORDER BY n;
        DROP TABLE usage;
        ALTER TABLE usage_by_time RENAME TO usage;
        CREATE INDEX usage_key_ts ON usage (key_id, ts);
        """,
    ];
}

/// <summary>What a committed write must survive (<see cref="GodexDatabase.OpenConnection"/>).</summary>
public enum CommitDurability
{
    /// <summary>Fsync every commit: survives a power cut.</summary>
    PowerLoss,

    /// <summary>No fsync per commit (WAL, <c>synchronous = NORMAL</c>): survives the process dying, not the OS.</summary>
    ProcessCrash,
}
