using Godex.Core.Configuration;
using Godex.Core.Storage;

namespace Godex.Composition;

/// <summary>
/// The accounts of the enabled backends (<see cref="BackendAccounts"/>) with their logins read
/// (<see cref="LoginFiles"/>): what <c>godex accounts status</c> and the admin API's <c>/admin/accounts</c> show
/// beside each pool's live state.
/// </summary>
internal static class AccountLogins
{
    public static IReadOnlyList<AccountLogin> Read(GodexOptions options, IReadOnlyList<RegisteredAccount> added)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logins = new List<AccountLogin>();
        if (options.Proxy.Backends.Codex.Enabled)
        {
            foreach (ResolvedAccount account in BackendAccounts.Codex(options, added))
            {
                logins.Add(new(account, LoginFiles.ReadCodex(new CodexBackendOptions { AuthPath = account.LoginPath })));
            }
        }

        if (options.Proxy.Backends.Anthropic.Enabled)
        {
            foreach (ResolvedAccount account in BackendAccounts.Anthropic(options, added))
            {
                LoginStatus login = account.ApiKey is not null
                    ? new("Anthropic", true, "(API key)", "API key", null, null, false, null)
                    : LoginFiles.ReadAnthropic(new AnthropicBackendOptions { CredentialsPath = account.LoginPath, ApiKeyEnv = "" });
                logins.Add(new(account, login));
            }
        }

        return logins;
    }
}
