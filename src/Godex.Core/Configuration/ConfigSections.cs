using YamlDotNet.RepresentationModel;

namespace Godex.Core.Configuration;

/// <summary>
/// The config sections whose children are free-form names or lists of mappings: <c>accounts:</c> of a backend and
/// <c>proxy.backends.custom.&lt;name&gt;</c>. A wrong value names the key and the line, as every other key does.
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

    /// <summary><c>custom: {&lt;name&gt;: {type, enabled, base_url, auth, timeout, discovery, models, ...}}</c>, in file order.</summary>
    public static List<CustomBackendOptions> ReadCustomBackends(YamlNode node, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return [];
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: proxy.backends.custom: expected a mapping of name: {{type: openai, base_url: ...}}, got a {ConfigLoader.Describe(node)}");
        }

        var backends = new List<CustomBackendOptions>();
        string file = where.Split(':')[0];
        foreach ((YamlNode keyNode, YamlNode valueNode) in mapping.Children)
        {
            string name = ((keyNode as YamlScalarNode)?.Value ?? "").Trim();
            string path = "proxy.backends.custom." + name;
            string at = $"{file}:{keyNode.Start.Line}";
            if (name.Length == 0 || name is "codex" or "anthropic" || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new ConfigException($"{at}: {path}: a custom backend needs a name of letters, digits, '-' or '_' other than codex and anthropic");
            }

            if (valueNode is not YamlMappingNode body)
            {
                throw new ConfigException($"{at}: {path}: expected a mapping (type, base_url, auth, ...)");
            }

            var backend = new CustomBackendOptions { Name = name };
            foreach ((YamlNode key, YamlNode value) in body.Children)
            {
                string field = (key as YamlScalarNode)?.Value ?? "";
                string fieldPath = path + "." + field;
                string line = $"{file}:{key.Start.Line}";
                ConfigLoader.Apply(() => ApplyCustom(backend, field, value, fieldPath, ""), line);
            }

            if (string.IsNullOrEmpty(backend.BaseUrl))
            {
                throw new ConfigException($"{at}: {path}.base_url is required");
            }

            backends.Add(backend);
        }

        return backends;
    }

    private static void ApplyCustom(CustomBackendOptions backend, string field, YamlNode value, string path, string at)
    {
        switch (field)
        {
            case "type":
                backend.Type = ConfigValues.ParseChoice(Scalar(value, path, at), path, CustomBackendTypes.OpenAI, CustomBackendTypes.OpenAIResponses);
                break;
            case "enabled":
                backend.Enabled = ConfigValues.ParseBool(Scalar(value, path, at), path);
                break;
            case "base_url":
                backend.BaseUrl = ConfigValues.ParseUrl(Scalar(value, path, at), path);
                break;
            case "timeout":
                // The original's one timeout: here it bounds the wait for the response headers and a whole non-streamed answer.
                TimeSpan timeout = ConfigKeys.PositiveDuration(ConfigValues.ParseDuration(Scalar(value, path, at), path), path);
                backend.TotalTimeout = timeout;
                backend.ConnectTimeout = timeout;
                break;
            case "connect_timeout":
                backend.ConnectTimeout = ConfigKeys.PositiveDuration(ConfigValues.ParseDuration(Scalar(value, path, at), path), path);
                break;
            case "idle_timeout":
                backend.IdleTimeout = ConfigKeys.PositiveDuration(ConfigValues.ParseDuration(Scalar(value, path, at), path), path);
                break;
            case "total_timeout":
                backend.TotalTimeout = ConfigKeys.PositiveDuration(ConfigValues.ParseDuration(Scalar(value, path, at), path), path);
                break;
            case "retry_max":
                backend.RetryMax = ConfigKeys.NonNegative(ConfigValues.ParseInt(Scalar(value, path, at), path), path);
                break;
            case "discovery":
                backend.Discovery = ConfigValues.ParseBool(Scalar(value, path, at), path);
                break;
            case "models":
                ReadModels(backend, value, path, at);
                break;
            case "auth":
                ReadAuth(backend.Auth, value, path, at);
                break;
            default:
                throw new ConfigException($"{path}: unknown key (type, enabled, base_url, auth, timeout, discovery, models, connect_timeout, idle_timeout, total_timeout, retry_max)");
        }
    }

    private static void ReadModels(CustomBackendOptions backend, YamlNode value, string path, string at)
    {
        if (value is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (value is not YamlSequenceNode sequence)
        {
            throw new ConfigException($"{path}: expected a list of model ids or {{id, display_name}}");
        }

        foreach (YamlNode item in sequence.Children)
        {
            switch (item)
            {
                case YamlScalarNode { Value: { Length: > 0 } id }:
                    backend.Models.Add(id.Trim());
                    break;
                case YamlMappingNode model:
                    string? modelId = null, display = null;
                    foreach ((YamlNode key, YamlNode field) in model.Children)
                    {
                        string name = (key as YamlScalarNode)?.Value ?? "";
                        string text = Scalar(field, path + "[]." + name, at);
                        if (name == "id")
                        {
                            modelId = Empty(text);
                        }
                        else if (name == "display_name")
                        {
                            display = Empty(text);
                        }
                    }

                    if (modelId is null)
                    {
                        throw new ConfigException($"{path}: every model needs an id");
                    }

                    backend.Models.Add(modelId);
                    if (display is not null)
                    {
                        backend.DisplayNames[modelId] = display;
                    }

                    break;
                default:
                    throw new ConfigException($"{path}: expected a list of model ids or {{id, display_name}}");
            }
        }
    }

    private static void ReadAuth(CustomAuthOptions auth, YamlNode value, string path, string at)
    {
        if (value is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{path}: expected a mapping (type, key, key_env, headers)");
        }

        foreach ((YamlNode key, YamlNode field) in mapping.Children)
        {
            string name = (key as YamlScalarNode)?.Value ?? "";
            string fieldPath = path + "." + name;
            switch (name)
            {
                case "type":
                    auth.Type = ConfigValues.ParseChoice(Scalar(field, fieldPath, at), fieldPath, "api_key", "bearer", "header", "none");
                    break;
                case "key":
                    auth.Key = Empty(Scalar(field, fieldPath, at));
                    break;
                case "key_env":
                    auth.KeyEnv = Empty(Scalar(field, fieldPath, at));
                    break;
                case "headers":
                    if (field is YamlScalarNode { Value: null or "" })
                    {
                        break;
                    }

                    if (field is not YamlMappingNode headers)
                    {
                        throw new ConfigException($"{fieldPath}: expected a mapping of header: value");
                    }

                    foreach ((YamlNode headerName, YamlNode headerValue) in headers.Children)
                    {
                        string header = ((headerName as YamlScalarNode)?.Value ?? "").Trim();
                        auth.Headers.Add(new(header, Scalar(headerValue, fieldPath + "." + header, at)));
                    }

                    break;
                default:
                    throw new ConfigException($"{fieldPath}: unknown key (type, key, key_env, headers)");
            }
        }
    }

    private static string Scalar(YamlNode node, string path, string at) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw new ConfigException($"{(at.Length > 0 ? at + ": " : "")}{path}: expected a single value, got a {ConfigLoader.Describe(node)}");

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Required(string value, string path, string at) =>
        string.IsNullOrWhiteSpace(value) ? throw new ConfigException($"{at}: {path}: must not be empty") : value.Trim();
}
