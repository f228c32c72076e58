using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Godex.Composition;
using Godex.Core.Configuration;
using Godex.Core.Limits;
using Godex.Core.State;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex accounts list|status|add|remove</c>: the accounts of each backend (the config's <c>accounts:</c>, the
/// backend's own login as <c>default</c>, and the ones added here; a custom backend's keys), and what the proxy last learned about them from the
/// database: usage per window, cooling down until, last error. Never prints a token or key.
/// </summary>
internal static class AccountsCommand
{
    private static readonly Argument<string> s_backend = new("backend") { Description = "codex or anthropic" };
    private static readonly Option<string> s_name = new("--name") { Description = "The account's name (unique within the backend)", Required = true, HelpName = "name" };
    private static readonly Option<string?> s_login = new("--login") { Description = "The login file (Codex auth.json, Claude .credentials.json)", HelpName = "path" };
    private static readonly Option<string?> s_apiKeyEnv = new("--api-key-env") { Description = "Anthropic: read the API key from this environment variable now", HelpName = "var" };
    private static readonly Argument<string> s_loginBackend = new("backend") { Description = "codex or claude" };
    private static readonly Option<string> s_loginName = new("--name") { Description = "The new account's name (default: login)", DefaultValueFactory = _ => "login", HelpName = "name" };
    private static readonly Option<string?> s_loginFile = new("--login") { Description = "Where to write the login, in the vendor CLI's format (default ~/.godex/logins/BACKEND-NAME.json)", HelpName = "path" };
    private static readonly Option<bool> s_paste = new("--paste") { Description = "Headless: paste the code the browser shows instead of waiting for the loopback redirect" };
    private static readonly Option<bool> s_device = new("--device") { Description = "Headless, codex: show a one-time code to enter at the vendor's device page from any browser (Codex's --device-auth)" };
    private static readonly Option<int?> s_port = new("--port") { Description = "The loopback callback's port (default: codex 1455, claude any free port; 0 = any)", HelpName = "port" };
    private static readonly Option<string?> s_authorizeUrl = new("--authorize-url") { Description = "The vendor's authorize address (GODEX_OAUTH_AUTHORIZE_URL; for tests)", HelpName = "url" };
    private static readonly Option<string?> s_tokenUrl = new("--token-url") { Description = "The vendor's token address (GODEX_OAUTH_TOKEN_URL; default the backend's refresh_url)", HelpName = "url" };

    public static Command Create()
    {
        var list = new Command("list", "The accounts of each backend and where their logins are") { StateCommand.Json };
        list.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, state, output) => WriteAsync(parse, o, state, output, withState: false, ct)));

        var status = new Command("status", "Each account's plan, usage per window, cooldown and last error, as the proxy last saw them") { StateCommand.Json };
        status.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, state, output) => WriteAsync(parse, o, state, output, withState: true, ct)));

        var add = new Command("add", "Serve another login of a backend (the proxy reads it at start)") { s_backend, s_name, s_login, s_apiKeyEnv };
        add.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, state, output) => AddAsync(parse, Registry(state), output)));

        var remove = new Command("remove", "Stop serving an account added with `godex accounts add`") { s_backend, s_name };
        remove.SetAction((parse, ct) => StateCommand.RunAsync(parse, async (o, state, output) =>
        {
            string backend = Backend(parse.GetValue(s_backend));
            string name = parse.GetValue(s_name)!;
            if (!Registry(state).Remove(backend, name))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: no account {name} was added to {backend} (accounts of the config are removed from the config)");
                return ExitCodes.Failure;
            }

            await output.WriteLineAsync($"removed {backend}/{name}");
            return ExitCodes.Success;
        }));

        var login = new Command("login", "Log in with the vendor's OAuth flow (PKCE; loopback callback, --paste, or codex --device) and serve the login as a new account")
        {
            s_loginBackend, s_loginName, s_loginFile, s_paste, s_device, s_port, s_authorizeUrl, s_tokenUrl,
        };
        login.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, state, output) => LoginAsync(parse, o, Registry(state), output, ct)));

        var command = new Command("accounts", "The upstream accounts godex spreads requests over (no subcommand: status)") { StateCommand.Database, list, status, add, remove, login, StateCommand.Json };
        command.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, state, output) => WriteAsync(parse, o, state, output, withState: true, ct)));
        return command;
    }

    /// <summary>One account as the screens show it.</summary>
    internal sealed record AccountRow(
        string Backend, string Name, string Source, string Login, bool Configured, string? Mode, string? Plan, string? Problem, AccountState? State, AccountCooldown? Cooldown);

    /// <summary>Accounts added from the command line are kept in the SQLite database only.</summary>
    private static SqliteAccountRegistry Registry(GodexState state) =>
        state.Sqlite is { } sqlite ? new SqliteAccountRegistry(sqlite) : throw new StateCommand.UsageException("accounts are added to a SQLite database only; on PostgreSQL list them in the config's accounts:");

    internal static async Task<IReadOnlyList<AccountRow>> RowsAsync(GodexOptions options, GodexState state, CancellationToken cancellationToken)
    {
        IReadOnlyList<RegisteredAccount> added = state.Sqlite is { } sqlite ? new SqliteAccountRegistry(sqlite).List(null) : [];
        Dictionary<(string, string), AccountState> states = state.Sqlite is { } db ? new SqliteAccountStateStore(db).Load(null).ToDictionary(s => (s.Backend, s.Account)) : [];
        Dictionary<string, AccountCooldown> cooldowns = (await state.Cooldowns.ListActiveAsync(cancellationToken)).ToDictionary(c => c.AccountKey, StringComparer.Ordinal);
        var rows = new List<AccountRow>();
        foreach ((ResolvedAccount account, LoginStatus login) in AccountLogins.Read(options, added))
        {
            rows.Add(new(account.Backend, account.Name, account.Source, login.Path, login.Configured, login.Mode, login.Plan, login.Problem, states.GetValueOrDefault((account.Backend, account.Name)), cooldowns.GetValueOrDefault(account.Backend + ":" + account.Name)));
        }

        foreach (CustomBackendOptions custom in options.Proxy.Backends.Custom)
        {
            if (!custom.Enabled)
            {
                continue;
            }

            // A custom backend's accounts are keys (accounts:); without them its one auth is the account default.
            IEnumerable<(string Name, string Source, string? KeyEnv, string? Key, bool NeedsKey)> keys = custom.Accounts.Count > 0
                ? custom.Accounts.Select(a => (a.Name, "config", a.KeyEnv, a.ApiKey, true))
                : [("default", "default", custom.Auth.KeyEnv, custom.Auth.Key, custom.Auth.Type is "api_key" or "bearer")];
            foreach ((string name, string source, string? keyEnv, string? key, bool needsKey) in keys)
            {
                bool present = !needsKey || !string.IsNullOrWhiteSpace(keyEnv is { } env ? Environment.GetEnvironmentVariable(env) : key);
                string login = !needsKey ? $"auth: {custom.Auth.Type}" : keyEnv is { } variable ? "API key from $" + variable : "API key (config)";
                string? problem = present ? null : keyEnv is { } missing ? $"${missing} is not set" : "the key is empty";
                rows.Add(new(custom.Name, name, source, login, present, needsKey ? "API key" : null, null, problem, states.GetValueOrDefault((custom.Name, name)), cooldowns.GetValueOrDefault(custom.Name + ":" + name)));
            }
        }

        return rows;
    }

    private static async Task<int> WriteAsync(ParseResult parse, GodexOptions options, GodexState state, TextWriter output, bool withState, CancellationToken cancellationToken)
    {
        IReadOnlyList<AccountRow> rows = await RowsAsync(options, state, cancellationToken);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        if (parse.GetValue(StateCommand.Json))
        {
            await StateCommand.WriteJsonAsync(output, w => WriteJson(w, rows, now, withState));
            return ExitCodes.Success;
        }

        if (rows.Count == 0)
        {
            await output.WriteLineAsync("no backend is enabled");
            return ExitCodes.Success;
        }

        foreach (AccountRow row in rows)
        {
            string shown = !row.Configured ? "no login" : Cooling(row, now) is { } until ? $"cooling down until {Time(until)} ({row.Cooldown!.Reason})" : "ready";
            await output.WriteLineAsync($"{row.Backend}/{row.Name}  {shown}");
            await output.WriteLineAsync($"  Login:   {row.Login} ({row.Source}{(row.Mode is null ? "" : ", " + row.Mode)})");
            if (row.Problem is not null)
            {
                await output.WriteLineAsync($"  Problem: {row.Problem}");
            }

            if (!withState)
            {
                continue;
            }

            if (row.Plan is not null)
            {
                await output.WriteLineAsync($"  Plan:    {row.Plan}");
            }

            foreach ((string label, UsageWindow? window) in new[] { ("Primary", row.State?.Primary), ("Secondary", row.State?.Secondary) })
            {
                if (window is not null)
                {
                    string minutes = window.WindowMinutes is { } m ? $" of a {m} min window" : "";
                    string reset = window.ResetsAt is { } at ? $", resets {Time(at)}" : "";
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {label + ":",-10}{window.UsedPercent:0.#} % used{minutes}{reset}"));
                }
            }

            if (row.State?.LastError is { } error)
            {
                await output.WriteLineAsync($"  Last error: {error}");
            }
        }

        return ExitCodes.Success;
    }

    private static void WriteJson(Utf8JsonWriter w, IReadOnlyList<AccountRow> rows, DateTimeOffset now, bool withState)
    {
        w.WriteStartArray();
        foreach (AccountRow row in rows)
        {
            w.WriteStartObject();
            w.WriteString("backend", row.Backend);
            w.WriteString("name", row.Name);
            w.WriteString("source", row.Source);
            w.WriteString("login", row.Login);
            w.WriteBoolean("configured", row.Configured);
            WriteOptional(w, "mode", row.Mode);
            WriteOptional(w, "problem", row.Problem);
            if (withState)
            {
                WriteOptional(w, "plan", row.Plan);
                DateTimeOffset? cooling = Cooling(row, now);
                w.WriteString("state", !row.Configured ? "no_login" : cooling is null ? "ready" : "cooling_down");
                if (cooling is { } until)
                {
                    w.WriteString("cooling_down_until", until);
                    WriteOptional(w, "cooldown_reason", row.Cooldown!.Reason);
                }

                WriteWindow(w, "primary", row.State?.Primary);
                WriteWindow(w, "secondary", row.State?.Secondary);
                WriteOptional(w, "last_error", row.State?.LastError);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteWindow(Utf8JsonWriter w, string name, UsageWindow? window)
    {
        if (window is null)
        {
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("used_percent", window.UsedPercent);
        if (window.WindowMinutes is { } minutes)
        {
            w.WriteNumber("window_minutes", minutes);
        }

        if (window.ResetsAt is { } reset)
        {
            w.WriteString("resets_at", reset);
        }

        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static DateTimeOffset? Cooling(AccountRow row, DateTimeOffset now) =>
        row.Cooldown?.Until is { } until && until > now ? until : null;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static async Task<int> AddAsync(ParseResult parse, SqliteAccountRegistry registry, TextWriter output)
    {
        string backend = Backend(parse.GetValue(s_backend));
        string name = parse.GetValue(s_name)!.Trim();
        string? login = parse.GetValue(s_login) is { Length: > 0 } path ? Path.GetFullPath(path) : null;
        string? apiKey = null;
        if (parse.GetValue(s_apiKeyEnv) is { Length: > 0 } variable)
        {
            if (backend != "anthropic")
            {
                throw new StateCommand.UsageException("--api-key-env is for anthropic accounts");
            }

            apiKey = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } key ? key : throw new StateCommand.UsageException($"${variable} is not set");
        }

        if (name.Length == 0 || (login is null) == (apiKey is null))
        {
            throw new StateCommand.UsageException("give a --name and either --login PATH or (anthropic) --api-key-env VAR");
        }

        if (login is not null && !File.Exists(login))
        {
            throw new StateCommand.UsageException($"no login file at {login}");
        }

        registry.Save(new RegisteredAccount(backend, name, login, apiKey, TimeProvider.System.GetUtcNow()));
        await output.WriteLineAsync($"added {backend}/{name}; the proxy serves it from its next start");
        return ExitCodes.Success;
    }

    private static async Task<int> LoginAsync(ParseResult parse, GodexOptions options, SqliteAccountRegistry registry, TextWriter output, CancellationToken cancellationToken)
    {
        string backend = Backend(parse.GetValue(s_loginBackend));
        string name = parse.GetValue(s_loginName)!.Trim();
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new StateCommand.UsageException("--name: letters, digits, '-', '_' and '.'");
        }

        AccountLogin.Vendor vendor = backend == "codex" ? AccountLogin.Codex(options) : AccountLogin.Claude(options);
        vendor = vendor with
        {
            AuthorizeUrl = parse.GetValue(s_authorizeUrl) ?? Environment.GetEnvironmentVariable("GODEX_OAUTH_AUTHORIZE_URL") ?? vendor.AuthorizeUrl,
            TokenUrl = parse.GetValue(s_tokenUrl) ?? Environment.GetEnvironmentVariable("GODEX_OAUTH_TOKEN_URL") ?? vendor.TokenUrl,
        };
        string path = Path.GetFullPath(parse.GetValue(s_loginFile) is { Length: > 0 } given
            ? given
            : Path.Combine(UserHome.Directory, ".godex", "logins", $"{backend}-{name}.json"));
        int? port = parse.GetValue(s_port);
        if (parse.GetValue(s_device))
        {
            if (parse.GetValue(s_paste))
            {
                throw new StateCommand.UsageException("--device and --paste are two ways of logging in: give one");
            }

            await AccountLogin.DeviceLoginAsync(vendor, path, output, TimeProvider.System, cancellationToken);
        }
        else
        {
            await AccountLogin.LoginAsync(vendor, path, parse.GetValue(s_paste), port, output, CommandInput.For(parse), TimeProvider.System, cancellationToken);
        }

        registry.Save(new RegisteredAccount(backend, name, path, null, TimeProvider.System.GetUtcNow()));
        await output.WriteLineAsync($"logged in: {backend}/{name} (login written to {path}); the proxy serves it from its next start");
        return ExitCodes.Success;
    }

    private static string Backend(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "codex" => "codex",
        "anthropic" or "claude" => "anthropic",
        _ => throw new StateCommand.UsageException($"unknown backend '{value}': codex or anthropic"),
    };
}
