using System.Globalization;
using System.Text;
using Godex.Core.Conversation;

namespace Godex.Cli.Commands;

/// <summary>
/// Picks the newest model per alias family (reference §6.5) by release date when both models have one, else by a
/// real version ordering: numeric version parts compared as numbers, then the 8-digit snapshot date; never by
/// string order (which ranks <c>claude-sonnet-4-20250514</c> above <c>claude-sonnet-4-5-20250929</c>).
/// </summary>
internal static class AliasesRules
{
    internal sealed record Rule(string Alias, string Backend, string Prefix, string Suffix = "", params string[] Exclude);

    public static IReadOnlyList<Rule> Defaults { get; } =
    [
        new("opus", "anthropic", "claude-opus-"),
        new("sonnet", "anthropic", "claude-sonnet-"),
        new("haiku", "anthropic", "claude-haiku-"),
        new("codex", "codex", "gpt-", "-codex"),
        new("codex-mini", "codex", "gpt-", "-codex-mini"),
        new("gpt", "codex", "gpt-5", "", "-codex", "-mini", "-nano", "-pro", "-search", "-chat-"),
        new("gpt-mini", "codex", "gpt-5", "-mini", "-codex"),
        new("gpt-pro", "codex", "gpt-5", "-pro", "-codex"),
    ];

    public static ModelInfo? Newest(Rule rule, IEnumerable<ModelInfo> models)
    {
        ModelInfo? best = null;
        foreach (ModelInfo model in models)
        {
            string id = model.Id;
            if (!string.Equals(model.Backend, rule.Backend, StringComparison.OrdinalIgnoreCase)
                || !id.StartsWith(rule.Prefix, StringComparison.OrdinalIgnoreCase)
                || !id.EndsWith(rule.Suffix, StringComparison.OrdinalIgnoreCase)
                || rule.Exclude.Any(x => id.Contains(x, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (best is null || Compare(model, best) > 0)
            {
                best = model;
            }
        }

        return best;
    }

    /// <summary>Positive when <paramref name="a"/> is newer.</summary>
    public static int Compare(ModelInfo a, ModelInfo b)
    {
        if (a.Created is long ca && b.Created is long cb && ca > 0 && cb > 0 && ca != cb)
        {
            return ca.CompareTo(cb);
        }

        (List<long> va, long da) = VersionOf(a.Id);
        (List<long> vb, long db) = VersionOf(b.Id);
        for (int i = 0; i < Math.Max(va.Count, vb.Count); i++)
        {
            int c = (i < va.Count ? va[i] : 0).CompareTo(i < vb.Count ? vb[i] : 0);
            if (c != 0)
            {
                return c;
            }
        }

        // Same version: an undated id is the moving "latest" pointer, so it ranks above any snapshot.
        int dates = (da == 0 ? long.MaxValue : da).CompareTo(db == 0 ? long.MaxValue : db);
        return dates != 0 ? dates : string.CompareOrdinal(b.Id, a.Id);
    }

    /// <summary>Numeric parts (<c>5.2</c>, <c>4-5</c>) as the version; an 8-digit part as the snapshot date.</summary>
    internal static (List<long> Version, long Date) VersionOf(string id)
    {
        var version = new List<long>();
        long date = 0;
        foreach (string token in id.Split(['-', '.', '_'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!token.All(char.IsAsciiDigit) || !long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                continue;
            }

            if (token.Length == 8)
            {
                date = value;
            }
            else
            {
                version.Add(value);
            }
        }

        return (version, date);
    }

    /// <summary>
    /// Rewrites the <c>routing:</c> → <c>aliases:</c> block of a YAML text, changing only the alias lines (comments,
    /// order and everything else stay byte for byte). New aliases are appended at the end of the block.
    /// </summary>
    public static string RewriteAliases(string yaml, IReadOnlyDictionary<string, string> updates)
    {
        string newline = yaml.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = yaml.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int routing = lines.FindIndex(l => l.StartsWith("routing:", StringComparison.Ordinal));
        if (routing < 0)
        {
            throw new FormatException("no routing: section");
        }

        int end = BlockEnd(lines, routing, 0);
        int aliases = -1;
        int aliasesIndent = 0;
        for (int i = routing + 1; i < end; i++)
        {
            string trimmed = lines[i].TrimStart();
            if (trimmed.StartsWith("aliases:", StringComparison.Ordinal))
            {
                aliases = i;
                aliasesIndent = lines[i].Length - trimmed.Length;
                break;
            }
        }

        if (aliases < 0)
        {
            throw new FormatException("no routing.aliases section");
        }

        string afterKey = StripComment(lines[aliases].TrimStart()["aliases:".Length..]).Trim();
        if (afterKey is not ("" or "{}"))
        {
            throw new FormatException("routing.aliases is written inline; write it as one alias per line");
        }

        if (afterKey == "{}")
        {
            lines[aliases] = new string(' ', aliasesIndent) + "aliases:";
        }

        int blockEnd = BlockEnd(lines, aliases, aliasesIndent);
        int entryIndent = aliasesIndent + 2;
        int lastEntry = aliases;
        var remaining = new Dictionary<string, string>(updates, StringComparer.OrdinalIgnoreCase);
        for (int i = aliases + 1; i < blockEnd; i++)
        {
            string trimmed = lines[i].TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            entryIndent = lines[i].Length - trimmed.Length;
            lastEntry = i;
            int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string key = trimmed[..colon].Trim().Trim('"', '\'');
            if (remaining.Remove(key, out string? value))
            {
                string rest = trimmed[(colon + 1)..];
                int hash = CommentStart(rest);
                string comment = hash < 0 ? "" : "  " + rest[hash..].TrimStart();
                lines[i] = new string(' ', entryIndent) + trimmed[..colon] + ": " + value + comment;
            }
        }

        int insertAt = lastEntry + 1;
        foreach ((string key, string value) in remaining.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            lines.Insert(insertAt++, new string(' ', entryIndent) + key + ": " + value);
        }

        return string.Join(newline, lines);
    }

    private static int BlockEnd(List<string> lines, int start, int indent)
    {
        for (int i = start + 1; i < lines.Count; i++)
        {
            string trimmed = lines[i].TrimStart();
            if (trimmed.Length > 0 && !trimmed.StartsWith('#') && lines[i].Length - trimmed.Length <= indent)
            {
                return i;
            }
        }

        return lines.Count;
    }

    private static string StripComment(string text)
    {
        int hash = CommentStart(text);
        return hash < 0 ? text : text[..hash];
    }

    // A '#' starts a comment only outside quotes and after whitespace (YAML 1.2 §6.6).
    private static int CommentStart(string text)
    {
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                return i;
            }
        }

        return -1;
    }

    public static string Describe(ModelInfo model) =>
        model.Created is long created && created > 0
            ? $"{model.Id} (released {DateTimeOffset.FromUnixTimeSeconds(created).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})"
            : model.Id;

    internal static string Pad(string alias) => alias.PadRight(12);

    internal static readonly Encoding Utf8NoBom = new UTF8Encoding(false);
}
