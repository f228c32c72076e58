using System.CommandLine;
using Godex.Core.Configuration;
using Godex.Core.State;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex proxy db migrate --from sqlite:PATH --to postgres://…</c>: moves one instance's state (keys, usage
/// ledger, stored responses, L402 credits, account cooldowns) into the PostgreSQL database several instances share.
/// The target must be empty; the copy is one transaction. The URL's password is never printed.
/// </summary>
internal static class DbCommand
{
    private static readonly Option<string?> s_from = new("--from") { Description = "The SQLite database to copy: sqlite:PATH or PATH (default proxy.database)", HelpName = "sqlite:path" };
    private static readonly Option<string> s_to = new("--to") { Description = "The PostgreSQL database to copy into (empty; migrated first): postgres://user[:password]@host[:port]/database", HelpName = "url", Required = true };

    public static Command Create()
    {
        var db = new Command("db", "The godex database: copy SQLite state into PostgreSQL");
        var migrate = new Command("migrate", "Copy keys, the usage ledger, stored responses, L402 credits and cooldowns from SQLite into an empty PostgreSQL database") { s_from, s_to };
        migrate.SetAction(MigrateAsync);
        db.Subcommands.Add(migrate);
        return db;
    }

    private static async Task<int> MigrateAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string? from = parse.GetValue(s_from);
        string to = parse.GetValue(s_to)!;
        if (from is null)
        {
            try
            {
                from = ConfigLoader.Load(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable, []).Proxy.Database;
            }
            catch (ConfigException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                return ExitCodes.Usage;
            }
        }

        if (PostgresUrl.IsPostgres(from) || GodexState.IsOff(from))
        {
            await error.WriteLineAsync("error: --from must be a SQLite database (sqlite:PATH or PATH)");
            return ExitCodes.Usage;
        }

        if (!PostgresUrl.IsPostgres(to))
        {
            await error.WriteLineAsync("error: --to must be a postgres:// URL");
            return ExitCodes.Usage;
        }

        string path = GodexDatabase.ExpandHome(GodexState.SqlitePath(from));
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"error: no SQLite database at {path}");
            return ExitCodes.Failure;
        }

        try
        {
            GodexDatabase source = GodexDatabase.Open(path, TimeProvider.System);
            await using PostgresDatabase target = await PostgresDatabase.OpenAsync(to, cancellationToken);
            StateMigration.Counts copied = await StateMigration.CopyAsync(source, target, cancellationToken);
            await output.WriteLineAsync(
                $"copied {copied.Keys} keys, {copied.UsageRows} usage rows, {copied.Responses} responses, {copied.Credits} L402 credits and {copied.Cooldowns} cooldowns from {source.Path} to {target.Description}");
            await output.WriteLineAsync($"next: set proxy.database (or GODEX_PROXY_DATABASE) to the postgres:// URL on every instance");
            return ExitCodes.Success;
        }
        catch (StorageException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Failure;
        }
    }
}
