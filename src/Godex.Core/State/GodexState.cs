using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core.Payments.L402;
using Godex.Core.Storage;

namespace Godex.Core.State;

/// <summary>
/// godex's state behind its store interfaces, on the database <c>proxy.database</c> names: a SQLite file (the
/// embedded default: a path, or <c>sqlite:PATH</c>) for one instance, or a PostgreSQL URL (<c>postgres://…</c>) that
/// several instances share. Everything that reads or writes state (the proxy, <c>godex proxy keys|usage|db</c>) goes
/// through the stores here, so both databases mean exactly the same thing.
/// </summary>
public sealed class GodexState : IAsyncDisposable
{
    private GodexState(string description, GodexDatabase? sqlite, PostgresDatabase? postgres, TimeProvider time)
    {
        Description = description;
        Sqlite = sqlite;
        Postgres = postgres;
        if (postgres is not null)
        {
            Keys = new PostgresKeyStore(postgres, time);
            Usage = new PostgresUsageLedger(postgres);
            Responses = new PostgresResponseStore(postgres, time);
            _credits = new PostgresL402CreditStore(postgres);
            Cooldowns = new PostgresAccountCooldownStore(postgres, time);
            SharedLimits = new PostgresSharedLimitStore(postgres);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(sqlite);
            Keys = new SqliteKeyStore(sqlite, time);
            Usage = new SqliteUsageLedger(sqlite);
            Responses = new SqliteResponseStore(sqlite, time);
            Cooldowns = new SqliteAccountCooldownStore(sqlite, time);
            // Credits are loaded into memory once: created on first use (payments on), not for every CLI command.
            _localCredits = new Lazy<IL402CreditStore>(() => new LocalL402CreditStore(sqlite));
        }
    }

    private readonly Lazy<IL402CreditStore>? _localCredits;
    private readonly IL402CreditStore? _credits;

    /// <summary>The database, for messages: the SQLite file, or <c>postgres://user@host:port/db</c> (never a password).</summary>
    public string Description { get; }

    /// <summary>The SQLite database, when that is what holds the state.</summary>
    public GodexDatabase? Sqlite { get; }

    /// <summary>The PostgreSQL database, when that is what holds the state (shared by several instances).</summary>
    public PostgresDatabase? Postgres { get; }

    public IKeyStore Keys { get; }

    public IUsageLedger Usage { get; }

    public IResponseStore Responses { get; }

    public IAccountCooldownStore Cooldowns { get; }

    /// <summary>Limits shared with other instances (PostgreSQL); null on SQLite, where every limit lives in the process.</summary>
    public ISharedLimitStore? SharedLimits { get; }

    /// <summary>The L402 credits.</summary>
    public IL402CreditStore Credits => _localCredits?.Value ?? _credits!;

    /// <summary>Whether <paramref name="database"/> says "no database" (<c>off</c> or empty).</summary>
    public static bool IsOff(string? database) =>
        string.IsNullOrWhiteSpace(database) || database.Trim().Equals("off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens (creating and migrating as needed) the database <paramref name="database"/> names.</summary>
    /// <param name="database">A SQLite path (<c>sqlite:PATH</c>) or a PostgreSQL URL.</param>
    /// <param name="time">The stores' clock.</param>
    /// <param name="cancellationToken">Stops connecting to PostgreSQL.</param>
    /// <param name="syncNewFileLater">A new SQLite file is synced after this returns (<see cref="GodexDatabase.Open"/>): the proxy's start.</param>
    /// <exception cref="StorageException">It cannot be opened; the message names it and says what failed.</exception>
    public static async Task<GodexState> OpenAsync(string database, TimeProvider time, CancellationToken cancellationToken, bool syncNewFileLater = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ArgumentNullException.ThrowIfNull(time);
        string value = database.Trim();
        if (PostgresUrl.IsPostgres(value))
        {
            PostgresDatabase postgres = await PostgresDatabase.OpenAsync(value, cancellationToken);
            return new GodexState(postgres.Description, null, postgres, time);
        }

        GodexDatabase sqlite = GodexDatabase.Open(SqlitePath(value), time, syncNewFileLater);
        return new GodexState(sqlite.Path, sqlite, null, time);
    }

    /// <summary>The file of a SQLite <c>proxy.database</c> value (<c>sqlite:</c> prefix removed).</summary>
    public static string SqlitePath(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? database["sqlite:".Length..] : database;
    }

    public async ValueTask DisposeAsync()
    {
        (Usage as IDisposable)?.Dispose();
        if (Sqlite is not null)
        {
            await Sqlite.Durable;
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
