using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Godex.Core.Configuration;

/// <summary>
/// Builds <see cref="GodexOptions"/> from defaults &lt; the YAML file &lt; <c>GODEX_*</c> environment variables
/// (flags are applied by the commands on top). Unlike the original, a value of the wrong type is a startup error
/// naming the key and the file; an unknown key is a warning, never silently dropped.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The file to read: <paramref name="explicitPath"/>, else <c>GODEX_CONFIG</c>, else <c>~/.config/godex/config.yaml</c>.</summary>
    /// <returns>The path and whether the user named it (a named file must exist; the default one may be absent).</returns>
    public static (string Path, bool Explicit) ResolvePath(string? explicitPath, Func<string, string?> getEnv)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return (ExpandHome(explicitPath), true);
        }

        string? fromEnv = getEnv("GODEX_CONFIG");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return (ExpandHome(fromEnv), true);
        }

        string home = UserHome.Directory;
        return (Path.Combine(home, ".config", "godex", "config.yaml"), false);
    }

    /// <summary>Loads the layered configuration. Throws <see cref="ConfigException"/> on any bad value.</summary>
    public static GodexOptions Load(string? explicitPath, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        var options = new GodexOptions();
        (string path, bool isExplicit) = ResolvePath(explicitPath, getEnv);
        if (File.Exists(path))
        {
            ApplyYaml(options, File.ReadAllText(path), path, warnings);
        }
        else if (isExplicit)
        {
            throw new ConfigException($"config file not found: {path}");
        }

        ApplyEnvironment(options, getEnv, warnings);
        return options;
    }

    /// <summary>Applies a YAML document over <paramref name="options"/>.</summary>
    public static void ApplyYaml(GodexOptions options, string yaml, string source, ICollection<string> warnings)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{source}: invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ConfigException($"{source}: the top level must be a mapping of sections (proxy:, routing:, exec:)");
        }

        var scalars = ConfigKeys.Scalars.ToDictionary(k => k.Path, StringComparer.Ordinal);
        var lists = ConfigKeys.Lists.ToDictionary(k => k.Path, StringComparer.Ordinal);
        Walk(root, "", options, source, scalars, lists, warnings);

        // The original's README puts routing under proxy.backends.routing; this version's place is a top-level
        // routing:. Both are read, so a config pasted from the original routes as it did there.
        if (Child(Child(Child(root, "proxy"), "backends"), "routing") is YamlMappingNode original)
        {
            if (Child(root, "routing") is { } topLevel)
            {
                warnings.Add($"{source}:{original.Start.Line}: proxy.backends.routing (the original godex's place for it) and routing: (line {topLevel.Start.Line}) are both set; routing: is used, proxy.backends.routing is ignored");
            }
            else
            {
                Walk(original, "routing", options, source, scalars, lists, warnings);
            }
        }
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child) ? child : null;

    private static void Walk(
        YamlMappingNode mapping,
        string prefix,
        GodexOptions options,
        string source,
        Dictionary<string, ConfigKeys.Key> scalars,
        Dictionary<string, ConfigKeys.ListKey> lists,
        ICollection<string> warnings)
    {
        foreach ((YamlNode keyNode, YamlNode valueNode) in mapping.Children)
        {
            string name = (keyNode as YamlScalarNode)?.Value ?? "";
            string path = prefix.Length == 0 ? name : prefix + "." + name;
            string where = $"{source}:{keyNode.Start.Line}";

            if (scalars.TryGetValue(path, out ConfigKeys.Key? scalar))
            {
                if (valueNode is not YamlScalarNode text)
                {
                    throw new ConfigException($"{where}: {path}: expected a single value, got a {Describe(valueNode)}");
                }

                Apply(() => scalar.Apply(options, text.Value ?? ""), where);
                options.Sources.Record(path, text.Value ?? "", "file");
            }
            else if (lists.TryGetValue(path, out ConfigKeys.ListKey? list))
            {
                List<string> items = ReadList(valueNode, path, where);
                list.Apply(options, items);
                options.Sources.Record(path, string.Join(", ", items), "file");
            }
            else if (path == "routing.aliases")
            {
                ReadAliases(valueNode, options.Routing, where);
            }
            else if (path == "routing.patterns")
            {
                ReadPatterns(valueNode, options.Routing, where);
            }
            else if (path == "proxy.payments.prices")
            {
                ReadPrices(valueNode, path, where, options.Proxy.Payments.Prices, L402Price.Parse, "in=SATS,out=SATS,request=SATS");
            }
            else if (path == "proxy.prices")
            {
                ReadPrices(valueNode, path, where, options.Proxy.Prices, ModelPrice.Parse, "in=USD,cached_in=USD,cache_write=USD,out=USD (per million tokens)");
            }
            else if (path == "routing.fallbacks")
            {
                ReadFallbacks(valueNode, options.Routing, where);
            }
            else if (path is "proxy.backends.codex.accounts" or "proxy.backends.anthropic.accounts")
            {
                UpstreamOptions backend = path.Contains("codex", StringComparison.Ordinal) ? options.Proxy.Backends.Codex : options.Proxy.Backends.Anthropic;
                backend.Accounts = ConfigSections.ReadAccounts(valueNode, path, where);
                if (backend.Accounts.Find(a => a.KeyEnv is not null) is { } withEnv)
                {
                    throw new ConfigException($"{where}: {path}: key_env (account {withEnv.Name}) is for the accounts of a custom backend; give api_key");
                }
            }
            else if (path == "proxy.backends.custom")
            {
                options.Proxy.Backends.Custom = ConfigSections.ReadCustomBackends(valueNode, path, where);
            }
            else if (path == "proxy.backends.routing")
            {
                if (valueNode is not (YamlMappingNode or YamlScalarNode { Value: null or "" }))
                {
                    throw new ConfigException($"{where}: {path}: expected a mapping (default:, patterns:, aliases:), got a {Describe(valueNode)}");
                }

                // Applied by ApplyYaml after the walk, unless a top-level routing: is given.
            }
            else if (ConfigKeys.NotYetSupported.Contains(path))
            {
                warnings.Add($"{where}: {path} is a setting of the original godex that this version does not support yet; ignored");
            }
            else if (valueNode is YamlMappingNode child && IsSection(path))
            {
                Walk(child, path, options, source, scalars, lists, warnings);
            }
            else
            {
                warnings.Add($"{where}: unknown key {path}; ignored (see docs/config.template.yaml)");
            }
        }
    }

    private static bool IsSection(string path) =>
        ConfigKeys.Scalars.Any(k => k.Path.StartsWith(path + ".", StringComparison.Ordinal))
        || ConfigKeys.Lists.Any(k => k.Path.StartsWith(path + ".", StringComparison.Ordinal))
        || path == "routing";

    internal static List<string> ReadList(YamlNode node, string path, string where)
    {
        switch (node)
        {
            case YamlSequenceNode sequence:
                var items = new List<string>(sequence.Children.Count);
                foreach (YamlNode item in sequence.Children)
                {
                    if (item is not YamlScalarNode { Value: { } value } || string.IsNullOrWhiteSpace(value))
                    {
                        throw new ConfigException($"{where}: {path}: every item must be a non-empty string");
                    }

                    items.Add(value.Trim());
                }

                return items;
            case YamlScalarNode { Value: null or "" }:
                return [];
            default:
                throw new ConfigException($"{where}: {path}: expected a list, got a {Describe(node)}");
        }
    }

    private static void ReadAliases(YamlNode node, RoutingOptions routing, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: routing.aliases: expected a mapping of alias: model, got a {Describe(node)}");
        }

        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string alias = (key as YamlScalarNode)?.Value ?? "";
            if (value is not YamlScalarNode { Value: { } model } || string.IsNullOrWhiteSpace(model))
            {
                throw new ConfigException($"{where}: routing.aliases.{alias}: expected a model name");
            }

            routing.Aliases[alias.Trim()] = model.Trim();
        }
    }

    /// <summary>A mapping of model pattern: price, in file order (the first match wins).</summary>
    private static void ReadPrices<TPrice>(YamlNode node, string section, string where, List<KeyValuePair<string, TPrice>> prices, Func<string, string, TPrice> parse, string expected)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: {section}: expected a mapping of model pattern: price, got a {Describe(node)}");
        }

        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string pattern = ((key as YamlScalarNode)?.Value ?? "").Trim();
            string path = section + "." + pattern;
            if (pattern.Length == 0 || value is not YamlScalarNode { Value: { } spec })
            {
                throw new ConfigException($"{where}: {path}: expected {expected}");
            }

            Apply(() => prices.Add(new(pattern, parse(spec, path))), where);
        }
    }

    private static void ReadPatterns(YamlNode node, RoutingOptions routing, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: routing.patterns: expected a mapping of backend: [prefixes], got a {Describe(node)}");
        }

        // The file's patterns replace the defaults as a whole, in the file's order: that order is the match order.
        var patterns = new List<KeyValuePair<string, List<string>>>();
        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string backend = ((key as YamlScalarNode)?.Value ?? "").Trim();
            patterns.Add(new(backend, ReadList(value, "routing.patterns." + backend, where)));
        }

        routing.Patterns = patterns;
    }

    private static void ReadFallbacks(YamlNode node, RoutingOptions routing, string where)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{where}: routing.fallbacks: expected a mapping of model: [fallback models], got a {Describe(node)}");
        }

        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string model = ((key as YamlScalarNode)?.Value ?? "").Trim();
            routing.Fallbacks[model] = ReadList(value, "routing.fallbacks." + model, where);
        }
    }

    /// <summary>
    /// Applies every <c>GODEX_*</c> variable that is set, under this version's name or the original's. A bad value
    /// names the variable; a variable of a setting not supported yet is a warning.
    /// </summary>
    public static void ApplyEnvironment(GodexOptions options, Func<string, string?> getEnv, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        foreach (ConfigKeys.Key key in ConfigKeys.Scalars)
        {
            foreach (string? name in (ReadOnlySpan<string?>)[key.OriginalEnvVar, key.EnvVar])
            {
                if (name is not null && getEnv(name) is { } value)
                {
                    Apply(() => key.Apply(options, value), "environment variable " + name);
                    options.Sources.Record(key.Path, value, "env " + name);
                }
            }
        }

        foreach (string name in ConfigKeys.NotYetSupportedEnvVars)
        {
            if (!string.IsNullOrEmpty(getEnv(name)))
            {
                warnings.Add($"environment variable {name} is a setting of the original godex that this version does not support yet; ignored");
            }
        }

        foreach (ConfigKeys.ListKey key in ConfigKeys.Lists)
        {
            if (key.EnvVar is not null && getEnv(key.EnvVar) is { } value)
            {
                key.Apply(options, [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
                options.Sources.Record(key.Path, value, "env " + key.EnvVar);
            }
        }
    }

    internal static void Apply(Action apply, string where)
    {
        try
        {
            apply();
        }
        catch (ConfigException ex)
        {
            throw new ConfigException($"{where}: {ex.Message}", ex);
        }
    }

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(UserHome.Directory, path[2..])
            : path;
}
