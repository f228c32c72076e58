using System.CommandLine;
using System.Globalization;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.State;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex proxy usage list|show|reset</c>: totals from the usage ledger. <c>reset</c> makes one key's earlier usage
/// stop counting (quota and totals); the rows stay, and no other key is touched (the original wiped them: §10 item 8).
/// </summary>
internal static class UsageCommand
{
    private static readonly Option<string?> s_since = new("--since") { Description = "Only the last DURATION (e.g. 24h, 7d)", HelpName = "duration" };
    private static readonly Option<string?> s_key = new("--key") { Description = "Only this key id", HelpName = "id" };
    private static readonly Argument<string?> s_id = new("id") { Description = "A key id", Arity = ArgumentArity.ZeroOrOne };

    public static Command Create()
    {
        var usage = new Command("usage", "Usage per client key, from the ledger") { StateCommand.Database };

        var list = new Command("list", "Totals per key") { s_since, s_key, StateCommand.Json };
        list.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) => ListAsync(parse, db, parse.GetValue(s_key), output, ct)));

        var show = new Command("show", "Totals of one key") { s_id, s_since, s_key, StateCommand.Json };
        show.SetAction((parse, ct) => StateCommand.RunAsync(parse, (o, db, output) =>
            ListAsync(parse, db, parse.GetValue(s_id) ?? parse.GetValue(s_key) ?? throw new StateCommand.UsageException("give a key id (or --key)"), output, ct)));

        var reset = new Command("reset", "Start one key's totals and quota from zero (only that key)") { s_id, s_key, StateCommand.Json };
        reset.SetAction((parse, ct) => StateCommand.RunAsync(parse, async (o, db, output) =>
        {
            string id = parse.GetValue(s_id) ?? parse.GetValue(s_key) ?? throw new StateCommand.UsageException("give a key id (or --key)");
            ClientKey? key = await db.Keys.ResetUsageAsync(id, ct);
            if (key is null)
            {
                return await StateCommand.NotFoundAsync(parse.InvocationConfiguration.Error, id);
            }

            await output.WriteLineAsync($"reset {key.Id} ({key.Label})");
            return ExitCodes.Success;
        }));

        usage.Subcommands.Add(list);
        usage.Subcommands.Add(show);
        usage.Subcommands.Add(reset);
        return usage;
    }

    private static async Task<int> ListAsync(ParseResult parse, GodexState db, string? keyId, TextWriter output, CancellationToken ct)
    {
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        DateTimeOffset? since = parse.GetValue(s_since) is { } text ? now - StateCommand.Duration(text, "--since") : null;
        IReadOnlyList<UsageTotals> totals = await db.Usage.TotalsAsync(since, keyId, ct);
        Dictionary<string, string> labels = (await db.Keys.ListAsync(ct)).ToDictionary(k => k.Id, k => k.Label, StringComparer.Ordinal);
        if (parse.GetValue(StateCommand.Json))
        {
            await StateCommand.WriteJsonAsync(output, w =>
            {
                w.WriteStartArray();
                foreach (UsageTotals total in totals)
                {
                    UsageJson.Write(w, total, labels.GetValueOrDefault(total.KeyId));
                }

                w.WriteEndArray();
            });
            return ExitCodes.Success;
        }

        if (totals.Count == 0)
        {
            await output.WriteLineAsync("no usage");
            return ExitCodes.Success;
        }

        const string Format = "{0,-16} {1,-20} {2,9} {3,12} {4,12} {5,12} {6,12} {7}";
        await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, Format, "KEY", "LABEL", "REQUESTS", "INPUT", "OUTPUT", "CACHED", "TOTAL", "LAST_SEEN"));
        foreach (UsageTotals total in totals)
        {
            await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, Format,
                total.KeyId, labels.GetValueOrDefault(total.KeyId) ?? "-", total.Requests, total.InputTokens, total.OutputTokens, total.CachedTokens, total.TotalTokens,
                total.LastSeen?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-"));
        }

        return ExitCodes.Success;
    }
}
