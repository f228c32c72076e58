namespace Godex.Architecture.Tests;

/// <summary>
/// godex's parts — a part is a namespace and the ones below it; every dialect and every provider is a part of its
/// own — and what each may reference. docs/architecture.md shows the same table; AGENTS.md says where each kind of
/// change goes.
/// </summary>
internal static class Parts
{
    /// <summary>
    /// What each part may reference besides itself. <c>Dialects.*</c> and <c>Providers.*</c> stand for every dialect and
    /// every provider; a part missing from the table may reference nothing.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> Allowed { get; } = new Dictionary<string, string[]>
    {
        // The canonical model and the plumbing below everything.
        ["Conversation"] = [],
        ["Buffers"] = [],
        // Storage: the database's key secret comes from the canonical model's SecureRandom (no OpenSSL at a first start).
        ["Storage"] = ["Conversation"],
        ["Core"] = [],
        ["Sse"] = ["Buffers"],
        ["Json"] = ["Conversation", "Buffers"],
        ["Tokens"] = ["Conversation"],
        ["Auth"] = ["Configuration"],
        ["Configuration"] = ["Keys"],

        // Dialects: a dialect knows the canonical model and the contracts all dialects share, never another dialect,
        // a provider, the send path or configuration.
        ["Dialects"] = ["Conversation", "Json", "Sse", "Buffers"],
        ["Dialects.*"] = ["Dialects", "Conversation", "Json", "Sse", "Buffers"],

        // The send path and the relay serve every provider and every dialect alike.
        ["SendPath"] = ["Conversation", "Dialects", "Sse", "Buffers", "Configuration", "Auth"],
        ["Relay"] = ["SendPath", "Dialects", "Sse", "Conversation", "Json"],
        ["Backends"] = ["Conversation", "Dialects", "SendPath"],

        // Account pools (issue 17): which account of a provider serves, failover and cooldowns; every provider uses
        // them, none is named by them.
        ["Pools"] = ["Backends", "SendPath", "Dialects", "Conversation", "Configuration", "Storage", "Limits", "Sse"],

        // A provider is a profile of the send path plus the dialect it speaks; providers never reference each other.
        ["Providers.*"] = ["Backends", "Pools", "SendPath", "Dialects", "Dialects.*", "Conversation", "Configuration", "Auth", "Buffers", "Sse", "Json"],
        ["Routing"] = ["Backends", "Pools", "Configuration", "Conversation"],

        // What a translated call keeps across turns: long tool names, signed reasoning per client key.
        ["Continuity"] = ["Backends", "Configuration", "Conversation"],

        // State and money.
        ["Keys"] = ["Storage", "Core"],
        ["Limits"] = ["Keys", "Storage"],
        ["Metering"] = ["Keys", "Limits", "Storage", "Conversation", "Core"],
        ["Spend"] = ["Configuration", "Conversation", "Keys"],
        ["Payments"] = ["Auth", "Configuration", "Storage", "Conversation"],
        // The stores of one database (SQLite or PostgreSQL) opened together, and the copy between the two.
        ["State"] = ["Storage", "Keys", "Limits", "Metering", "Payments", "Configuration"],
        ["Exec"] = ["Configuration", "Conversation"],

        // The simulator is the oracle: it speaks the wires itself and never uses godex's dialects or providers.
        ["Simulator"] = ["Sse", "Buffers", "Payments"],
        ["Composition"] = ["Backends", "Pools", "Providers.*", "SendPath", "Dialects", "Dialects.*", "Configuration", "Auth", "Storage", "Limits", "Simulator"],

        // The server: front doors see backends only through their interfaces, never a provider.
        ["Server.Results"] = ["Conversation", "Buffers", "Dialects.*"],
        ["Server.Metering"] = ["Conversation", "Keys"],
        ["Server.Payments"] = ["Configuration", "Conversation", "Keys", "Payments", "Storage", "Server.Metering", "Server.Results"],
        ["Server.Access"] =
        [
            "Core", "Configuration", "Conversation", "Keys", "Limits", "Metering", "Payments", "Spend", "Storage", "Server.Metering",
            "Server.Observability", "Server.Payments", "Server.Results",
        ],
        // The admin API; the accounts page reads the pools' live state and the logins through Composition's one reader.
        ["Server.Admin"] =
        [
            "Core", "Configuration", "Conversation", "Json", "Keys", "Metering", "Routing", "Backends", "Pools", "Storage", "Composition",
            "Server.Dashboard", "Server.Observability", "Server.Results",
        ],
        // The web dashboard: page shells, embedded assets and the login session the admin API accepts.
        ["Server.Dashboard"] = ["Configuration", "Keys"],

        // Metrics, traces, the JSON request log, audit files and the live feed: told by Server.Access (each request) and
        // by the send path's observer interface; they never reach into front doors or providers.
        ["Server.Observability"] = ["Configuration", "Conversation", "Metering", "Spend", "Storage", "SendPath", "Core", "Server.Metering", "Server.Results", "Keys"],
        ["Server.FrontDoors"] =
        [
            "Backends", "SendPath", "Relay", "Routing", "Continuity", "Dialects", "Dialects.*", "Conversation", "Configuration", "Sse",
            "Storage", "Tokens", "Json", "Server.Metering", "Server.Results",
        ],
        ["Server.Hosting"] =
        [
            "Core", "Composition", "Backends", "Pools", "Routing", "Continuity", "Configuration", "Conversation", "Keys", "Limits", "Metering", "Storage",
            "State", "Payments", "Auth", "Spend", "Server.Access", "Server.Admin", "Server.Dashboard", "Server.FrontDoors", "Server.Observability", "Server.Payments",
            "Server.Results",

            // The errors of the HTTP layer (Kestrel's own, 404/405) are written in the front doors' dialects.
            "Dialects.*",
        ],

        // The command line: the server only through its entry point (GodexApp).
        ["Cli"] =
        [
            "Core", "Composition", "Server.Hosting", "Simulator", "Backends", "Pools", "Providers.*", "Routing", "Continuity", "Configuration", "Conversation",
            "Auth", "Exec", "Keys", "Limits", "Metering", "Payments", "Spend", "Storage", "State",
        ],
    };

    /// <summary>The part of a namespace; null for namespaces outside godex.</summary>
    public static string? Of(string ns)
    {
        if (ns != "Godex" && !ns.StartsWith("Godex.", StringComparison.Ordinal))
        {
            return null;
        }

        string[] segments = ns.Split('.');
        return segments switch
        {
            ["Godex", "Core"] => "Core",
            ["Godex", "Core", "Dialects", string dialect, ..] => "Dialects." + dialect,
            ["Godex", "Core", "Backends", "Upstream", ..] => "SendPath",
            ["Godex", "Core", "Backends", "Pools", ..] => "Pools",
            ["Godex", "Core", "Backends", string provider, ..] => "Providers." + provider,
            ["Godex", "Core", string folder, ..] => folder,
            ["Godex", "Server", "FrontDoors", ..] => "Server.FrontDoors",
            ["Godex", "Server", string folder, ..] => "Server." + folder,
            ["Godex", "Simulator", ..] => "Simulator",
            ["Godex", "Composition", ..] => "Composition",
            ["Godex", "Cli", ..] => "Cli",
            _ => ns,
        };
    }

    /// <summary>True when the table lets <paramref name="from"/> reference <paramref name="to"/>.</summary>
    public static bool MayReference(string from, string to)
    {
        string[] allowed = Allowed.TryGetValue(from, out string[]? exact) ? exact
            : Allowed.TryGetValue(Family(from), out string[]? family) ? family
            : [];
        return allowed.Contains(to) || allowed.Contains(Family(to));
    }

    /// <summary><c>Dialects.Messages</c> → <c>Dialects.*</c>; other parts are their own family.</summary>
    private static string Family(string part) =>
        part.StartsWith("Dialects.", StringComparison.Ordinal) ? "Dialects.*"
        : part.StartsWith("Providers.", StringComparison.Ordinal) ? "Providers.*"
        : part;
}
