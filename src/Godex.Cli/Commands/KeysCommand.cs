using System.CommandLine;
using System.Globalization;
using Godex.Core.Configuration;
using Godex.Core.Keys;
using Godex.Core.Routing;
using Godex.Core.State;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex proxy keys add|list|show|revoke|update|rotate|import</c>: client keys in the godex database. Flags may
/// come before or after the id, and <c>update</c> changes only the flags given (the original reset the rest: §10 item 7).
/// A running proxy sees every change within a second, without a restart.
/// </summary>
internal static class KeysCommand
{
    private static readonly Option<string?> s_label = new("--label") { Description = "A name for the key", HelpName = "label" };
    private static readonly Option<string?> s_key = new("--key") { Description = "Bring your own secret instead of a generated gxk_ one", HelpName = "secret" };
    private static readonly Option<string?> s_rate = new("--rate") { Description = "Request rate N/s|m|h (default proxy.default_rate)", HelpName = "rate" };
    private static readonly Option<int?> s_burst = new("--burst") { Description = "Token-bucket capacity: requests allowed at once (default proxy.default_burst)", HelpName = "n" };
    private static readonly Option<long?> s_quota = new("--quota-tokens") { Description = "Tokens per proxy.meter_window; 0 = unlimited", HelpName = "n" };
    private static readonly Option<int?> s_concurrent = new("--max-concurrent") { Description = "Requests in flight at once; 0 = unlimited", HelpName = "n" };
    private static readonly Option<string?> s_expiresIn = new("--expires-in") { Description = "Expire after this long (e.g. 24h, 30d)", HelpName = "duration" };
    private static readonly Option<bool> s_noExpiry = new("--no-expiry") { Description = "Remove the expiry (update)" };
    private static readonly Option<string[]> s_models = new("--models") { Description = "Allowed model patterns (* wildcard); none = every model", HelpName = "pattern", AllowMultipleArgumentsPerToken = true };
    private static readonly Argument<string> s_idOrKey = new("id-or-key") { Description = "A key id (key_...) or the key itself" };
    private static readonly Argument<string?> s_path = new("path") { Description = "The original godex's key file (default proxy.keys_path, ~/.codex/proxy-keys.json)", Arity = ArgumentArity.ZeroOrOne };

    public static Command Create()
    {
        var keys = new Command("keys", "Manage client keys (stored in the godex database)") { StateCommand.Database };

        var add = new Command("add", "Create a key; its secret is printed once") { s_label, s_key, s_rate, s_burst, s_quota, s_concurrent, s_expiresIn, s_models, StateCommand.Json };
        add.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) => AddAsync(parse, o, db, output, ct)));

        var list = new Command("list", "Every key, revoked and expired ones included") { StateCommand.Json };
        list.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) => ListAsync(parse, db, output, ct)));

        var show = new Command("show", "One key") { s_idOrKey, StateCommand.Json };
        show.SetAction((parse, ct) => StateCommand.RunAsync(parse, async (o, db, output) =>
        {
            ClientKey? key = await Store(db).FindAsync(parse.GetValue(s_idOrKey)!, ct);
            return key is null ? await StateCommand.NotFoundAsync(parse.InvocationConfiguration.Error, parse.GetValue(s_idOrKey)!) : await PrintAsync(parse, output, key, null);
        }));

        var revoke = new Command("revoke", "Revoke a key (it gets 401 from then on)") { s_idOrKey, StateCommand.Json };
        revoke.SetAction((parse, ct) => StateCommand.RunAsync(parse, async (o, db, output) =>
        {
            ClientKey? key = await Store(db).RevokeAsync(parse.GetValue(s_idOrKey)!, ct);
            return key is null ? await StateCommand.NotFoundAsync(parse.InvocationConfiguration.Error, parse.GetValue(s_idOrKey)!) : await PrintAsync(parse, output, key, null);
        }));

        var update = new Command("update", "Change the given settings of a key; the others stay") { s_idOrKey, s_label, s_rate, s_burst, s_quota, s_concurrent, s_expiresIn, s_noExpiry, s_models, StateCommand.Json };
        update.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) => UpdateAsync(parse, o, db, output, ct)));

        var rotate = new Command("rotate", "Give a key a new secret; the id, limits and usage stay, the old secret stops working") { s_idOrKey, StateCommand.Json };
        rotate.SetAction((parse, ct) => StateCommand.RunAsync(parse, async (o, db, output) =>
        {
            IssuedClientKey? issued = await Store(db).RotateAsync(parse.GetValue(s_idOrKey)!, ct);
            return issued is null ? await StateCommand.NotFoundAsync(parse.InvocationConfiguration.Error, parse.GetValue(s_idOrKey)!) : await PrintAsync(parse, output, issued.Key, issued.Secret);
        }));

        var import = new Command("import", "Import the original godex's proxy-keys.json (hashes carry over: the old secrets keep working)") { s_path };
        import.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) => ImportAsync(parse, o, db, output, ct)));

        keys.Subcommands.Add(add);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(show);
        keys.Subcommands.Add(revoke);
        keys.Subcommands.Add(update);
        keys.Subcommands.Add(rotate);
        keys.Subcommands.Add(import);
        return keys;
    }

    private static IKeyStore Store(GodexState state) => state.Keys;

    private static async Task<int> AddAsync(ParseResult parse, GodexOptions options, GodexState db, TextWriter output, CancellationToken ct)
    {
        string label = parse.GetValue(s_label) is { Length: > 0 } l ? l : throw new StateCommand.UsageException("--label is required");
        string? secret = parse.GetValue(s_key);
        if (secret is not null && KeySecrets.CheckOwnSecret(secret, [options.Proxy.ApiKey, options.Proxy.AdminKey]) is { } problem)
        {
            throw new StateCommand.UsageException("--key: " + problem);
        }

        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        IssuedClientKey issued = await Store(db).CreateAsync(new NewClientKey
        {
            Label = label,
            Secret = secret,
            Rate = Rate(parse),
            Burst = Positive(parse.GetValue(s_burst), "--burst"),
            QuotaTokens = NonNegative(parse.GetValue(s_quota), "--quota-tokens") ?? options.Proxy.DefaultQuotaTokens,
            MaxConcurrent = (int)(NonNegative(parse.GetValue(s_concurrent), "--max-concurrent") ?? 0),
            Models = Models(parse, options) ?? [],
            ExpiresAt = parse.GetValue(s_expiresIn) is { } ttl ? now + StateCommand.Duration(ttl, "--expires-in") : null,
        }, ct);
        if (parse.GetValue(StateCommand.Json))
        {
            await StateCommand.WriteJsonAsync(output, w => ClientKeyJson.Write(w, issued.Key, now, issued.Secret));
        }
        else
        {
            await output.WriteLineAsync($"id={issued.Key.Id} label={issued.Key.Label} key={issued.Secret}");
            await parse.InvocationConfiguration.Error.WriteLineAsync("The key is shown once: store it now.");
        }

        return ExitCodes.Success;
    }

    private static async Task<int> UpdateAsync(ParseResult parse, GodexOptions options, GodexState db, TextWriter output, CancellationToken ct)
    {
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        if (parse.GetValue(s_noExpiry) && parse.GetValue(s_expiresIn) is not null)
        {
            throw new StateCommand.UsageException("--expires-in and --no-expiry exclude each other");
        }

        var change = new ClientKeyUpdate
        {
            Label = parse.GetResult(s_label) is null ? null : parse.GetValue(s_label),
            Rate = Rate(parse),
            Burst = Positive(parse.GetValue(s_burst), "--burst"),
            QuotaTokens = NonNegative(parse.GetValue(s_quota), "--quota-tokens"),
            MaxConcurrent = (int?)NonNegative(parse.GetValue(s_concurrent), "--max-concurrent"),
            Models = parse.GetResult(s_models) is null ? null : Models(parse, options) ?? [],
            ExpiresAt = parse.GetValue(s_expiresIn) is { } ttl ? now + StateCommand.Duration(ttl, "--expires-in") : null,
            ClearExpiry = parse.GetValue(s_noExpiry),
        };
        if (change.IsEmpty)
        {
            throw new StateCommand.UsageException("nothing to update: give at least one of --label, --rate, --burst, --quota-tokens, --max-concurrent, --expires-in, --no-expiry, --models");
        }

        ClientKey? key = await Store(db).UpdateAsync(parse.GetValue(s_idOrKey)!, change, ct);
        return key is null ? await StateCommand.NotFoundAsync(parse.InvocationConfiguration.Error, parse.GetValue(s_idOrKey)!) : await PrintAsync(parse, output, key, null);
    }

    private static async Task<int> ListAsync(ParseResult parse, GodexState db, TextWriter output, CancellationToken ct)
    {
        IReadOnlyList<ClientKey> keys = await Store(db).ListAsync(ct);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        if (parse.GetValue(StateCommand.Json))
        {
            await StateCommand.WriteJsonAsync(output, w =>
            {
                w.WriteStartArray();
                foreach (ClientKey key in keys)
                {
                    ClientKeyJson.Write(w, key, now);
                }

                w.WriteEndArray();
            });
            return ExitCodes.Success;
        }

        const string Format = "{0,-16} {1,-20} {2,-8} {3,-8} {4,5} {5,12} {6,4} {7,-20} {8}";
        await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, Format, "ID", "LABEL", "STATUS", "RATE", "BURST", "QUOTA", "CONC", "EXPIRES", "MODELS"));
        foreach (ClientKey key in keys)
        {
            await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, Format,
                key.Id, key.Label, ClientKeyJson.Status(key, now), key.Rate ?? "default", key.Burst?.ToString(CultureInfo.InvariantCulture) ?? "default",
                key.QuotaTokens == 0 ? "-" : key.QuotaTokens.ToString(CultureInfo.InvariantCulture),
                key.MaxConcurrent == 0 ? "-" : key.MaxConcurrent.ToString(CultureInfo.InvariantCulture),
                key.ExpiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-",
                key.Models.Count == 0 ? "*" : string.Join(',', key.Models)));
        }

        return ExitCodes.Success;
    }

    private static async Task<int> ImportAsync(ParseResult parse, GodexOptions options, GodexState db, TextWriter output, CancellationToken ct)
    {
        string path = GodexDatabase.ExpandHome(parse.GetValue(s_path) ?? options.Proxy.KeysPath);
        if (!File.Exists(path))
        {
            throw new StateCommand.UsageException($"no key file at {path}");
        }

        IReadOnlyList<ClientKey> keys;
        try
        {
            keys = LegacyKeyFile.Parse(await File.ReadAllTextAsync(path, ct), TimeProvider.System);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {path}: {ex.Message}");
            return ExitCodes.Failure;
        }

        IKeyStore store = Store(db);
        int imported = 0;
        int skipped = 0;
        foreach (ClientKey key in keys)
        {
            if (await store.ImportAsync(key, ct))
            {
                imported++;
            }
            else
            {
                skipped++;
            }
        }

        await output.WriteLineAsync($"imported {imported} key(s), skipped {skipped} already present, from {path}");
        return ExitCodes.Success;
    }

    private static async Task<int> PrintAsync(ParseResult parse, TextWriter output, ClientKey key, string? secret)
    {
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        if (parse.GetValue(StateCommand.Json))
        {
            await StateCommand.WriteJsonAsync(output, w => ClientKeyJson.Write(w, key, now, secret));
            return ExitCodes.Success;
        }

        string line = string.Create(CultureInfo.InvariantCulture,
            $"id={key.Id} label={key.Label} status={ClientKeyJson.Status(key, now)} rate={key.Rate ?? "default"} burst={key.Burst?.ToString(CultureInfo.InvariantCulture) ?? "default"} quota={key.QuotaTokens} max_concurrent={key.MaxConcurrent} expires={key.ExpiresAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-"} models={(key.Models.Count == 0 ? "*" : string.Join(',', key.Models))}");
        if (secret is not null)
        {
            line += " key=" + secret;
        }

        await output.WriteLineAsync(line);
        return ExitCodes.Success;
    }

    /// <summary><c>--models</c> with aliases expanded, so that <c>--models sonnet</c> allows what <c>sonnet</c> routes to.</summary>
    private static List<string>? Models(ParseResult parse, GodexOptions options) =>
        parse.GetValue(s_models) is { } models ? KeyModels.Expand(models, new ModelRouter([], options.Routing).ExpandAlias) : null;

    private static string? Rate(ParseResult parse)
    {
        if (parse.GetValue(s_rate) is not { } rate)
        {
            return null;
        }

        return RateSpec.TryParse(rate, out _, out string? error) ? rate.Trim() : throw new StateCommand.UsageException("--rate: " + error);
    }

    private static int? Positive(int? value, string flag) =>
        value is null or > 0 ? value : throw new StateCommand.UsageException($"{flag} must be greater than zero");

    private static long? NonNegative(long? value, string flag) =>
        value is null or >= 0 ? value : throw new StateCommand.UsageException($"{flag} must not be negative");
}
