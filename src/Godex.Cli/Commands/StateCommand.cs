using System.CommandLine;
using System.Text;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.State;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>What <c>godex proxy keys</c> and <c>godex proxy usage</c> share: opening the database, JSON output, errors.</summary>
internal static class StateCommand
{
    /// <summary><c>--database PATH|postgres://…</c> (default <c>proxy.database</c>).</summary>
    public static Option<string?> Database { get; } = new("--database")
    {
        Description = "The godex database: a SQLite file or a postgres:// URL (default proxy.database, ~/.godex/godex.db)",
        Recursive = true,
        HelpName = "path",
    };

    public static Option<bool> Json { get; } = new("--json") { Description = "Print JSON" };

    /// <summary>Thrown for wrong usage (exit 2).</summary>
    public sealed class UsageException(string message) : Exception(message);

    /// <summary>Loads the config, opens the database and runs <paramref name="body"/>, mapping errors to exit codes.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<GodexOptions, GodexState, TextWriter, Task<int>> body)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        GodexOptions options;
        try
        {
            options = GlobalOptions.LoadConfig(parse);
            if (parse.GetValue(Database) is { Length: > 0 } database)
            {
                options.Proxy.Database = database;
            }
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Usage;
        }

        if (GodexState.IsOff(options.Proxy.Database))
        {
            await error.WriteLineAsync("error: proxy.database is off: there is no key store");
            return ExitCodes.Failure;
        }

        try
        {
            await using GodexState state = await GodexState.OpenAsync(options.Proxy.Database, TimeProvider.System, CancellationToken.None);
            return await body(options, state, output);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (StorageException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Failure;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Failure;
        }
    }

    public static async Task WriteJsonAsync(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static TimeSpan Duration(string text, string flag)
    {
        try
        {
            return ConfigValues.ParseDuration(text, flag);
        }
        catch (ConfigException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    public static async Task<int> NotFoundAsync(TextWriter error, string idOrKey)
    {
        await error.WriteLineAsync($"error: key not found: {(idOrKey.StartsWith("key_", StringComparison.Ordinal) ? idOrKey : "(the given secret)")}");
        return ExitCodes.Failure;
    }
}
