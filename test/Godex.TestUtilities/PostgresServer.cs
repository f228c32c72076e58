using System.Diagnostics;
using Npgsql;
using Xunit;

namespace Godex.TestUtilities;

/// <summary>
/// A real PostgreSQL server for the tests, from the OS packages: <c>scripts/pg-temp.sh</c> runs initdb on a temp
/// directory and starts it on 127.0.0.1 and a free port (as the <c>postgres</c> user when the tests run as root). One
/// per test assembly (<c>[assembly: AssemblyFixture(typeof(PostgresServer))]</c>); each test takes a fresh database
/// from <see cref="CreateDatabaseAsync"/>. When PostgreSQL is not installed, every test that needs it fails with the
/// script's one-line reason: never skipped silently.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _dir = "";
    private string _script = "";

    /// <summary><c>postgres://godex:…@127.0.0.1:PORT/godex</c>: the superuser's URL.</summary>
    public string AdminUrl { get; private set; } = "";

    /// <summary>What went wrong starting the server (null when it runs).</summary>
    public string? StartError { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("godex-pg-").FullName;
        _script = FindScript();
        (int code, string output, string error) = await RunAsync(_script, "start", _dir, "--fast");
        if (code != 0)
        {
            StartError = "PostgreSQL could not be started for the tests: " + error.Trim();
            return;
        }

        AdminUrl = output.Trim().Split('\n')[^1];
    }

    /// <summary>A new, empty database on the server; its URL.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        if (StartError is not null)
        {
            throw new InvalidOperationException(StartError);
        }

        string name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(ConnectionString(AdminUrl, "postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await command.ExecuteNonQueryAsync();
        }

        return AdminUrl[..(AdminUrl.LastIndexOf('/') + 1)] + name;
    }

    /// <summary>An Npgsql connection string for a URL of this server (tests inspect tables directly).</summary>
    public static string ConnectionString(string url, string? database = null)
    {
        var uri = new Uri(url);
        string[] user = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = user[0],
            Password = user.Length > 1 ? user[1] : null,
            Database = database ?? uri.AbsolutePath.TrimStart('/'),
            Pooling = false,
        }.ConnectionString;
    }

    /// <summary>Runs one SQL statement on a database of this server and returns the first column of the first row.</summary>
    public static async Task<object?> ScalarAsync(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(url));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_script.Length > 0)
        {
            await RunAsync(_script, "stop", _dir);
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // The server's last files may still be closing; the temp directory is cleaned by the OS.
        }
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "scripts", "pg-temp.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("scripts/pg-temp.sh not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
