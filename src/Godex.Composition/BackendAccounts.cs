using Godex.Core.Backends.Anthropic;
using Godex.Core.Backends.Codex;
using Godex.Core.Configuration;
using Godex.Core.Storage;

namespace Godex.Composition;

/// <summary>One account of a backend as godex will serve it, and where it was declared.</summary>
/// <param name="Backend"><c>codex</c> or <c>anthropic</c>.</param>
/// <param name="Name">Unique within the backend.</param>
/// <param name="LoginPath">The login file (null for an API key).</param>
/// <param name="ApiKey">An Anthropic API key, or null. Never printed.</param>
/// <param name="Source"><c>default</c> (the backend's own login), <c>config</c> (<c>accounts:</c>) or <c>added</c> (<c>godex accounts add|login</c>).</param>
internal sealed record ResolvedAccount(string Backend, string Name, string? LoginPath, string? ApiKey, string Source)
{
    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"{Backend}/{Name} ({Source}: {(ApiKey is null ? LoginPath : "API key")})";
}

/// <summary>
/// The accounts of each backend: the config's <c>accounts:</c> list, or the backend's own login as the account
/// <c>default</c> when there is none; then the accounts added from the command line (names already taken are skipped).
/// </summary>
internal static class BackendAccounts
{
    public static IReadOnlyList<ResolvedAccount> Codex(GodexOptions options, IReadOnlyList<RegisteredAccount> added)
    {
        CodexBackendOptions codex = options.Proxy.Backends.Codex;
        var accounts = new List<ResolvedAccount>();
        if (codex.Accounts.Count > 0)
        {
            foreach (AccountOptions account in codex.Accounts)
            {
                accounts.Add(new("codex", account.Name, account.AuthPath ?? CodexCredentialStore.ResolvePath(codex), null, "config"));
            }
        }
        else
        {
            string path = CodexCredentialStore.ResolvePath(codex);
            if (!added.Any(a => a.Backend == "codex") || CodexCredentialStore.HasLogin(codex, path))
            {
                accounts.Add(new("codex", "default", path, null, "default"));
            }
        }

        AddRegistered(accounts, "codex", added);
        return accounts;
    }

    public static IReadOnlyList<ResolvedAccount> Anthropic(GodexOptions options, IReadOnlyList<RegisteredAccount> added)
    {
        AnthropicBackendOptions anthropic = options.Proxy.Backends.Anthropic;
        var accounts = new List<ResolvedAccount>();
        if (anthropic.Accounts.Count > 0)
        {
            foreach (AccountOptions account in anthropic.Accounts)
            {
                accounts.Add(new("anthropic", account.Name, account.ApiKey is null ? account.CredentialsPath ?? ClaudeCredentialStore.ResolvePath(anthropic) : null, account.ApiKey, "config"));
            }
        }
        else
        {
            string? key = !string.IsNullOrWhiteSpace(anthropic.ApiKey) ? anthropic.ApiKey
                : string.IsNullOrWhiteSpace(anthropic.ApiKeyEnv) ? null : Environment.GetEnvironmentVariable(anthropic.ApiKeyEnv);
            string path = ClaudeCredentialStore.ResolvePath(anthropic);
            if (!added.Any(a => a.Backend == "anthropic") || !string.IsNullOrWhiteSpace(key) || ClaudeCredentialStore.HasLogin(path))
            {
                accounts.Add(new("anthropic", "default", string.IsNullOrWhiteSpace(key) ? path : null, string.IsNullOrWhiteSpace(key) ? null : key, "default"));
            }
        }

        AddRegistered(accounts, "anthropic", added);
        return accounts;
    }

    /// <summary>True when at least one account of an enabled backend has a login file or key (for simulator mode).</summary>
    public static bool AnyLogin(GodexOptions options, IReadOnlyList<RegisteredAccount> added)
    {
        if (options.Proxy.Backends.Codex.Enabled && Codex(options, added).Any(a => a.LoginPath is { } path && CodexCredentialStore.HasLogin(options.Proxy.Backends.Codex, path)))
        {
            return true;
        }

        return options.Proxy.Backends.Anthropic.Enabled
            && Anthropic(options, added).Any(a => a.ApiKey is not null || (a.LoginPath is { } path && ClaudeCredentialStore.HasLogin(path)));
    }

    private static void AddRegistered(List<ResolvedAccount> accounts, string backend, IReadOnlyList<RegisteredAccount> added)
    {
        foreach (RegisteredAccount account in added)
        {
            if (account.Backend == backend && !accounts.Exists(a => string.Equals(a.Name, account.Name, StringComparison.OrdinalIgnoreCase)) && accounts.Count < 64)
            {
                accounts.Add(new(backend, account.Name, account.LoginPath, account.ApiKey, "added"));
            }
        }
    }
}
