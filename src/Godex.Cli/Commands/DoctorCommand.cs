using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Godex.Core.Configuration;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex doctor</c>: what would stop or degrade <c>godex proxy</c> here, checked one by one: the config, both
/// logins (expiry, refresh token), each custom backend's keys, the clock against the tokens and the upstreams, the listen port, the database
/// (integrity, permissions) and the upstreams' reachability (<c>--offline</c> skips it). Exit 1 when a check fails
/// (warnings do not fail); <c>--json</c> for scripts.
/// </summary>
internal static class DoctorCommand
{
    private static readonly Option<bool> s_offline = new("--offline") { Description = "Skip the upstream reachability and clock checks (no network)" };
    private static readonly Option<bool> s_json = new("--json") { Description = "Print the checks as JSON" };

    internal enum Status
    {
        Ok,
        Warn,
        Fail,
        Skip,
    }

    internal sealed record Check(string Name, Status Status, string Detail);

    public static Command Create()
    {
        var command = new Command("doctor", "Check logins, clock, listen port, database and upstreams; exit 1 on a problem") { s_offline, s_json };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var checks = new List<Check>();
        GodexOptions? options = null;
        (string path, bool isExplicit) = ConfigLoader.ResolvePath(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable);
        try
        {
            var warnings = new List<string>();
            options = ConfigLoader.Load(parse.GetValue(GlobalOptions.Config), Environment.GetEnvironmentVariable, warnings);
            string where = File.Exists(path) ? path : $"{path} (absent: defaults)";
            checks.Add(warnings.Count == 0
                ? new Check("config", Status.Ok, where)
                : new Check("config", Status.Warn, $"{where}: {string.Join("; ", warnings)}"));
        }
        catch (ConfigException ex)
        {
            checks.Add(new Check("config", Status.Fail, isExplicit || File.Exists(path) ? ex.Message : path + ": " + ex.Message));
        }

        if (options is not null)
        {
            DateTimeOffset now = TimeProvider.System.GetUtcNow();
            checks.Add(Login(AuthCommand.ReadCodex(options.Proxy.Backends.Codex), options.Proxy.Backends.Codex.Enabled, options.Proxy.Backends.Codex.AllowRefresh, now));
            checks.Add(Login(AuthCommand.ReadAnthropic(options.Proxy.Backends.Anthropic), options.Proxy.Backends.Anthropic.Enabled, options.Proxy.Backends.Anthropic.AllowRefresh, now));
            checks.AddRange(options.Proxy.Backends.Custom.Where(c => c.Enabled).Select(CustomKeys).OfType<Check>());
            checks.Add(await ListenAsync(options, cancellationToken));
            checks.Add(Database(options.Proxy.Database));
            List<(Check Check, DateTimeOffset? Date)> upstreams = parse.GetValue(s_offline) ? [] : await UpstreamsAsync(options, cancellationToken);
            checks.AddRange(upstreams.Select(u => u.Check));
            checks.Add(Clock(options, now, upstreams.Select(u => u.Date).OfType<DateTimeOffset>().ToList(), parse.GetValue(s_offline)));
            if (parse.GetValue(s_offline))
            {
                checks.Add(new Check("upstreams", Status.Skip, "--offline"));
            }
        }

        bool ok = checks.All(c => c.Status != Status.Fail);
        TextWriter output = parse.InvocationConfiguration.Output;
        if (parse.GetValue(s_json))
        {
            await StateCommand.WriteJsonAsync(output, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", ok);
                w.WriteStartArray("checks");
                foreach (Check check in checks)
                {
                    w.WriteStartObject();
                    w.WriteString("name", check.Name);
                    w.WriteString("status", check.Status.ToString().ToLowerInvariant());
                    w.WriteString("detail", check.Detail);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            foreach (Check check in checks)
            {
                await output.WriteLineAsync($"{check.Status.ToString().ToLowerInvariant(),-5} {check.Name,-16} {check.Detail}");
            }

            int failed = checks.Count(c => c.Status == Status.Fail);
            await output.WriteLineAsync(failed == 0 ? "no problems found" : $"{failed} problem{(failed == 1 ? "" : "s")} found");
        }

        return ok ? ExitCodes.Success : ExitCodes.Failure;
    }

    internal static Check Login(AuthCommand.LoginStatus login, bool enabled, bool allowRefresh, DateTimeOffset now)
    {
        string name = login.Backend.ToLowerInvariant() + " login";
        if (!enabled)
        {
            return new Check(name, Status.Skip, "backend disabled");
        }

        if (!login.Configured)
        {
            // No login is not an error (godex serves the simulator, or the other backend), unless the file is broken.
            bool broken = File.Exists(login.Path) || login.Mode is not null;
            return new Check(name, broken ? Status.Fail : Status.Warn, $"{login.Path}: {login.Problem}");
        }

        string expires = login.ExpiresAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";
        if (login.Expired(now))
        {
            return login.CanRefresh && allowRefresh
                ? new Check(name, Status.Ok, $"{login.Path}: {login.Mode}, expired {expires}; godex refreshes it with the refresh token")
                : new Check(name, Status.Fail, $"{login.Path}: {login.Mode}, expired {expires} and {(login.CanRefresh ? "refresh is off (allow_refresh: false)" : "there is no refresh token")}: log in again");
        }

        if (login.ExpiresAt is not null && !login.CanRefresh)
        {
            return new Check(name, Status.Warn, $"{login.Path}: {login.Mode}, expires {expires}, no refresh token: log in again then");
        }

        return new Check(name, Status.Ok, $"{login.Path}: {login.Mode}{(expires.Length > 0 ? $", expires {expires}, refresh token present" : "")}");
    }

    /// <summary>
    /// A custom backend's keys (<c>accounts:</c>, else <c>auth</c>): which are missing, by account and variable name, never
    /// a value. A missing key only warns: the other keys, or a client's <c>X-Provider-Key</c>, can still serve. Null for
    /// a backend that needs no key.
    /// </summary>
    internal static Check? CustomKeys(CustomBackendOptions custom)
    {
        string name = custom.Name + " keys";
        List<(string Account, string? KeyEnv, string? Key)> keys = custom.Accounts.Count > 0
            ? [.. custom.Accounts.Select(a => (a.Name, a.KeyEnv, a.ApiKey))]
            : custom.Auth.Type is "api_key" or "bearer" ? [("default", custom.Auth.KeyEnv, custom.Auth.Key)] : [];
        if (keys.Count == 0)
        {
            return null;
        }

        string[] missing = [.. keys
            .Where(k => string.IsNullOrWhiteSpace(k.KeyEnv is { } env ? Environment.GetEnvironmentVariable(env) : k.Key))
            .Select(k => k.KeyEnv is { } env ? $"{k.Account} (${env} is not set)" : $"{k.Account} (the key is empty)")];
        return missing.Length == 0
            ? new Check(name, Status.Ok, $"{keys.Count} of {keys.Count} present")
            : new Check(name, Status.Warn, $"{keys.Count - missing.Length} of {keys.Count} present; missing: {string.Join(", ", missing)}");
    }

    /// <summary>
    /// The clock against what others say the time is: a Codex access token issued "in the future" means this clock is
    /// behind (every token would look valid too long, then be refused), and the upstreams' Date headers give the skew.
    /// </summary>
    internal static Check Clock(GodexOptions options, DateTimeOffset now, IReadOnlyList<DateTimeOffset> upstreamDates, bool offline)
    {
        if (AuthCommand.ReadCodex(options.Proxy.Backends.Codex).IssuedAt is { } issued && issued > now + TimeSpan.FromMinutes(5))
        {
            return new Check("clock", Status.Fail, $"the Codex login was issued {issued:u}, {(issued - now).TotalMinutes:F0} min after this machine's time: the clock is behind (token expiry would be misjudged)");
        }

        if (upstreamDates.Count == 0)
        {
            return new Check("clock", offline ? Status.Skip : Status.Warn, offline ? "--offline (the login tokens' issue times look consistent)" : "no upstream answered with a Date header to compare with");
        }

        TimeSpan skew = upstreamDates.Select(d => (d - now).Duration()).Min();
        string detail = $"{skew.TotalSeconds:F0} s from the upstreams' clocks";
        return skew > TimeSpan.FromMinutes(2) ? new Check("clock", Status.Fail, detail + ": fix the system clock (OAuth refresh and token expiry depend on it)")
            : skew > TimeSpan.FromSeconds(30) ? new Check("clock", Status.Warn, detail)
            : new Check("clock", Status.Ok, detail);
    }

    internal static async Task<Check> ListenAsync(GodexOptions options, CancellationToken cancellationToken)
    {
        ProxyOptions proxy = options.Proxy;
        int colon = proxy.Listen.LastIndexOf(':');
        if (!IPAddress.TryParse(proxy.Listen[..colon].Trim('[', ']').Replace("localhost", "127.0.0.1", StringComparison.OrdinalIgnoreCase), out IPAddress? address)
            || !int.TryParse(proxy.Listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            return new Check("listen", Status.Fail, $"{proxy.Listen}: not an IP address and port");
        }

        if (!IPAddress.IsLoopback(address) && string.IsNullOrEmpty(proxy.ApiKey) && !proxy.AllowAnyKey && !HasActiveKeys(proxy.Database))
        {
            return new Check("listen", Status.Fail, $"{proxy.Listen} is reachable from other machines and no client key guards it: set --api-key, add a key (godex proxy keys add), or --allow-any-key");
        }

        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return new Check("listen", Status.Ok, $"{proxy.Listen} is free");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            string? running = await GodexAtAsync(address, port, cancellationToken);
            return running is not null
                ? new Check("listen", Status.Ok, $"{proxy.Listen}: godex {running} is running there")
                : new Check("listen", Status.Fail, $"{proxy.Listen} is in use by another program: stop it, or choose another address with --listen");
        }
        catch (SocketException ex)
        {
            return new Check("listen", Status.Fail, $"{proxy.Listen}: {ex.Message}");
        }
    }

    private static async Task<string?> GodexAtAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        IPAddress target = address.Equals(IPAddress.Any) ? IPAddress.Loopback : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : address;
        try
        {
            string body = await http.GetStringAsync(new Uri($"http://{new IPEndPoint(target, port)}/health"), cancellationToken);
            using var health = System.Text.Json.JsonDocument.Parse(body);
            return health.RootElement.TryGetProperty("version", out var version) ? version.GetString() : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static bool HasActiveKeys(string database)
    {
        string path = GodexDatabase.ExpandHome(database);
        if (database.Trim().Equals("off", StringComparison.OrdinalIgnoreCase) || !File.Exists(path))
        {
            return false;
        }

        // Read-only, as every doctor check: the database is not opened for writing (no migration, no new file).
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now)";
            command.Parameters.AddWithValue("$now", TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
        }
        catch (SqliteException)
        {
            return false; // the database check reports what is wrong with it
        }
    }

    internal static Check Database(string database)
    {
        if (database.Trim().Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return new Check("database", Status.Skip, "proxy.database is off (no client keys, no usage ledger)");
        }

        string path = GodexDatabase.ExpandHome(database);
        if (!File.Exists(path))
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            return new Check("database", Status.Ok, $"{path}: not created yet (the first `godex proxy` creates it{(directory is not null && !Directory.Exists(directory) ? $" and {directory}" : "")})");
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            string result = command.ExecuteScalar() as string ?? "";
            if (result != "ok")
            {
                return new Check("database", Status.Fail, $"{path}: integrity check failed: {result}");
            }
        }
        catch (SqliteException ex)
        {
            return new Check("database", Status.Fail, $"{path}: {ex.Message}");
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & others) != 0)
            {
                return new Check("database", Status.Warn, $"{path}: integrity ok, but readable or writable by other users (mode {Convert.ToString((int)mode, 8)}): chmod 600 it (it holds key hashes and the usage ledger)");
            }

            if ((mode & UnixFileMode.UserWrite) == 0)
            {
                return new Check("database", Status.Fail, $"{path}: not writable by its owner (mode {Convert.ToString((int)mode, 8)})");
            }
        }

        return new Check("database", Status.Ok, $"{path}: integrity ok, private to its owner");
    }

    /// <summary>One GET per enabled upstream (5 s at most): any HTTP answer means reachable; its Date header feeds the clock check.</summary>
    private static async Task<List<(Check Check, DateTimeOffset? Date)>> UpstreamsAsync(GodexOptions options, CancellationToken cancellationToken)
    {
        var results = new List<(Check, DateTimeOffset?)>();
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        foreach ((string name, bool enabled, string url) in new[]
        {
            ("codex upstream", options.Proxy.Backends.Codex.Enabled, options.Proxy.Backends.Codex.BaseUrl),
            ("anthropic upstream", options.Proxy.Backends.Anthropic.Enabled, options.Proxy.Backends.Anthropic.BaseUrl),
        })
        {
            if (!enabled)
            {
                results.Add((new Check(name, Status.Skip, "backend disabled"), null));
                continue;
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                results.Add((new Check(name, Status.Ok, $"{url}: reachable (HTTP {(int)response.StatusCode})"), response.Headers.Date));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                results.Add((new Check(name, Status.Fail, $"{url}: unreachable: {(ex is TaskCanceledException ? "no answer within 5 s" : ex.Message)}"), null));
            }
        }

        return results;
    }
}
