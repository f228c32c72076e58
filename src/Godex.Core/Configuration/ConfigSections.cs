using YamlDotNet.RepresentationModel;

namespace Godex.Core.Configuration;

/// <summary>
/// The config sections that are lists or maps of mappings: <c>accounts:</c> of a backend, <c>proxy.backends.custom</c>.
/// A wrong value names the key and the line, as every other key does.
/// </summary>
internal static class ConfigSections
{
    /// <summary><c>accounts: [{name, auth_path} | {name, credentials_path} | {name, api_key | key_env}]</c>.</summary>
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
                    case "key_env": account.KeyEnv = Empty(text); break;
                    default: throw new ConfigException($"{at}: {path}[]: unknown account key {name} (name, auth_path, credentials_path, api_key, key_env)");
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

    /// <summary>
    /// <c>proxy.backends.custom: {name: {type, enabled, base_url, auth{type, key, key_env, headers}, timeout, discovery,
    /// models[]{id, display_name}, retry_max, accounts[]{name, api_key | key_env}, strategy}}</c>. Unlike the original, a
    /// backend with an unknown type or auth type is a startup error, not silently skipped.
    /// </summary>
    public static List<CustomBackendOptions> ReadCustomBackends(YamlNode node, string path, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return [];
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: {path}: expected a mapping of name: {{type: openai, base_url: ...}}, got a {ConfigLoader.Describe(node)}");
        }

        var backends = new List<CustomBackendOptions>();
        string file = where.Split(':')[0];
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string name = ((keyNode as YamlScalarNode)?.Value ?? "").Trim();
            string at = $"{file}:{keyNode.Start.Line}";
            string prefix = $"{path}.{name}";
            if (!IsBackendName(name))
            {
                throw new ConfigException($"{at}: {prefix}: a backend name is 1-32 lowercase letters, digits, '-' or '_' and not codex or anthropic");
            }

            if (value is not YamlMappingNode settings)
            {
                throw new ConfigException($"{at}: {prefix}: expected a mapping (type, base_url, auth, ...), got a {ConfigLoader.Describe(value)}");
            }

            var backend = new CustomBackendOptions { Name = name, Models = [] };
            foreach ((YamlNode settingKey, YamlNode settingValue) in settings.Children)
            {
                string setting = (settingKey as YamlScalarNode)?.Value ?? "";
                string key = $"{prefix}.{setting}";
                string line = $"{file}:{settingKey.Start.Line}";
                switch (setting)
                {
                    case "type":
                        backend.Type = Apply(line, () => ConfigValues.ParseChoice(Scalar(settingValue, key, line), key, "openai", "openai-responses"));
                        break;
                    case "enabled":
                        backend.Enabled = Apply(line, () => ConfigValues.ParseBool(Scalar(settingValue, key, line), key));
                        break;
                    case "base_url":
                        backend.BaseUrl = Apply(line, () => ConfigValues.ParseUrl(Scalar(settingValue, key, line), key)).TrimEnd('/');
                        break;
                    case "timeout":
                        TimeSpan timeout = Apply(line, () => ConfigValues.ParseDuration(Scalar(settingValue, key, line), key));
                        if (timeout <= TimeSpan.Zero)
                        {
                            throw new ConfigException($"{line}: {key}: must be positive");
                        }

                        // The original's one timeout: time to the answer's headers, longest silence, and a whole answer.
                        backend.ConnectTimeout = backend.IdleTimeout = backend.TotalTimeout = timeout;
                        break;
                    case "retry_max":
                        backend.RetryMax = Math.Max(0, Apply(line, () => ConfigValues.ParseInt(Scalar(settingValue, key, line), key)));
                        break;
                    case "discovery":
                        backend.Discovery = Apply(line, () => ConfigValues.ParseBool(Scalar(settingValue, key, line), key));
                        break;
                    case "models":
                        ReadModels(settingValue, key, line, backend);
                        break;
                    case "auth":
                        backend.Auth = ReadAuth(settingValue, key, line, file);
                        break;
                    case "accounts":
                        backend.Accounts = ReadAccounts(settingValue, key, line);
                        foreach (AccountOptions account in backend.Accounts)
                        {
                            if (account.AuthPath is not null || account.CredentialsPath is not null || (account.ApiKey is null) == (account.KeyEnv is null))
                            {
                                throw new ConfigException($"{line}: {key}: the account {account.Name} needs one of api_key or key_env (a key per account)");
                            }
                        }

                        break;
                    case "strategy":
                        backend.Strategy = Apply(line, () => ConfigKeys.ParseStrategy(Scalar(settingValue, key, line), key));
                        break;
                    default:
                        throw new ConfigException($"{line}: {prefix}: unknown key {setting} (type, enabled, base_url, auth, timeout, retry_max, discovery, models, accounts, strategy)");
                }
            }

            if (string.IsNullOrEmpty(backend.BaseUrl))
            {
                throw new ConfigException($"{at}: {prefix}.base_url: required (e.g. http://127.0.0.1:11434/v1)");
            }

            if (backends.Exists(b => b.Name == name))
            {
                throw new ConfigException($"{at}: {prefix}: the backend name is used twice");
            }

            backends.Add(backend);
        }

        return backends;
    }

    private static bool IsBackendName(string name) =>
        name.Length is > 0 and <= 32 && name is not ("codex" or "anthropic")
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    private static CustomAuthOptions ReadAuth(YamlNode node, string path, string at, string file)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{at}: {path}: expected a mapping (type, key, key_env, headers), got a {ConfigLoader.Describe(node)}");
        }

        var auth = new CustomAuthOptions();
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string name = (keyNode as YamlScalarNode)?.Value ?? "";
            string key = $"{path}.{name}";
            string line = $"{file}:{keyNode.Start.Line}";
            switch (name)
            {
                case "type":
                    string type = Scalar(value, key, line).Trim();
                    auth.Type = type.Length == 0 ? "none" : Apply(line, () => ConfigValues.ParseChoice(type, key, "api_key", "bearer", "header", "none"));
                    break;
                case "key": auth.Key = Empty(Scalar(value, key, line)); break;
                case "key_env": auth.KeyEnv = Empty(Scalar(value, key, line)); break;
                case "headers":
                    if (value is not YamlMappingNode headers)
                    {
                        throw new ConfigException($"{line}: {key}: expected a mapping of header name: value");
                    }

                    foreach ((YamlNode headerName, YamlNode headerValue) in headers.Children)
                    {
                        string header = ((headerName as YamlScalarNode)?.Value ?? "").Trim();
                        auth.Headers.Add(new(header, Scalar(headerValue, $"{key}.{header}", line)));
                    }

                    break;
                default:
                    throw new ConfigException($"{line}: {path}: unknown key {name} (type, key, key_env, headers)");
            }
        }

        return auth;
    }

    private static void ReadModels(YamlNode node, string path, string at, CustomBackendOptions backend)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw new ConfigException($"{at}: {path}: expected a list of models ({{id, display_name}} or ids), got a {ConfigLoader.Describe(node)}");
        }

        foreach (YamlNode item in sequence.Children)
        {
            string id;
            string? display = null;
            if (item is YamlScalarNode scalar)
            {
                id = (scalar.Value ?? "").Trim();
            }
            else if (item is YamlMappingNode model)
            {
                id = "";
                foreach ((YamlNode keyNode, YamlNode value) in model.Children)
                {
                    string name = (keyNode as YamlScalarNode)?.Value ?? "";
                    switch (name)
                    {
                        case "id": id = Scalar(value, $"{path}[].id", at).Trim(); break;
                        case "display_name": display = Empty(Scalar(value, $"{path}[].display_name", at)); break;
                        default: throw new ConfigException($"{at}: {path}[]: unknown key {name} (id, display_name)");
                    }
                }
            }
            else
            {
                throw new ConfigException($"{at}: {path}: every model is an id or {{id, display_name}}");
            }

            if (id.Length == 0)
            {
                throw new ConfigException($"{at}: {path}[].id: must not be empty");
            }

            backend.Models.Add(id);
            if (display is not null)
            {
                backend.DisplayNames[id] = display;
            }
        }
    }

    private static T Apply<T>(string at, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ConfigException ex)
        {
            throw new ConfigException($"{at}: {ex.Message}", ex);
        }
    }

    private static string Scalar(YamlNode node, string path, string at) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new ConfigException($"{(at.Length > 0 ? at + ": " : "")}{path}: expected a single value, got a {ConfigLoader.Describe(node)}");

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Required(string value, string path, string at) =>
        string.IsNullOrWhiteSpace(value) ? throw new ConfigException($"{at}: {path}: must not be empty") : value.Trim();
}
