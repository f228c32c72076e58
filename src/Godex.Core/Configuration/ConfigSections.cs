using YamlDotNet.RepresentationModel;

namespace Godex.Core.Configuration;

/// <summary>
/// The config sections that are lists of mappings: <c>accounts:</c> of a backend. A wrong value names the key and the
/// line, as every other key does.
/// </summary>
internal static class ConfigSections
{
    /// <summary><c>accounts: [{name, auth_path} | {name, credentials_path} | {name, api_key}]</c>.</summary>
    public static List<AccountOptions> ReadAccounts(YamlNode node, string path, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw new ConfigException($"{where}: {path}: expected a list of accounts ({{name, ...}}), got a {ConfigLoader.Describe(node)}");
        }

        var accounts = new List<AccountOptions>();
        foreach (YamlNode item in sequence.Children)
        {
            string at = $"{where.Split(':')[0]}:{item.Start.Line}";
            if (item is not YamlMappingNode mapping)
            {
                throw new ConfigException($"{at}: {path}: every account must be a mapping such as {{name: work, auth_path: ~/.codex-work/auth.json}}");
            }

            var account = new AccountOptions();
            foreach ((YamlNode key, YamlNode value) in mapping.Children)
            {
                string name = (key as YamlScalarNode)?.Value ?? "";
                string text = Scalar(value, $"{path}[].{name}", at);
                switch (name)
                {
                    case "name": account.Name = Required(text, $"{path}[].name", at); break;
                    case "auth_path": account.AuthPath = Empty(text); break;
                    case "credentials_path": account.CredentialsPath = Empty(text); break;
                    case "api_key": account.ApiKey = Empty(text); break;
                    default: throw new ConfigException($"{at}: {path}[]: unknown account key {name} (name, auth_path, credentials_path, api_key)");
                }
            }

            if (accounts.Exists(a => string.Equals(a.Name, account.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ConfigException($"{at}: {path}: the account name {account.Name} is used twice");
            }

            accounts.Add(account);
        }

        return accounts;
    }

    private static string Scalar(YamlNode node, string path, string at) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new ConfigException($"{(at.Length > 0 ? at + ": " : "")}{path}: expected a single value, got a {ConfigLoader.Describe(node)}");

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Required(string value, string path, string at) =>
        string.IsNullOrWhiteSpace(value) ? throw new ConfigException($"{at}: {path}: must not be empty") : value.Trim();
}
