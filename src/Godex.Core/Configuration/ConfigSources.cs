using YamlDotNet.RepresentationModel;

namespace Godex.Core.Configuration;

/// <summary>
/// Where each configured key's value came from, for the dashboard's Config page: the text as written and its layer
/// (<c>file</c>, <c>env GODEX_*</c>, <c>flag --x</c>). A key absent here has its default. Recorded as values are
/// applied, so the later layer wins here as it does in <see cref="GodexOptions"/>.
/// </summary>
public sealed class ConfigSources
{
    private readonly Dictionary<string, ConfigSource> _set = new(StringComparer.Ordinal);

    /// <summary>Every key set by a layer, by dotted path.</summary>
    public IReadOnlyDictionary<string, ConfigSource> Set => _set;

    public void Record(string path, string value, string source) => _set[path] = new ConfigSource(value, source);

    /// <summary>Every scalar and list key godex reads, in the key table's order.</summary>
    public static IEnumerable<string> KeyPaths => ConfigKeys.Scalars.Select(k => k.Path).Concat(ConfigKeys.Lists.Select(k => k.Path));

    /// <summary>
    /// The default of every key from the commented template (docs/config.template.yaml: every key with its default,
    /// checked against the key table by the docs test), by dotted path.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultsFromTemplate(string yaml)
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
        {
            Collect(root, "", defaults);
        }

        return defaults;
    }

    private static void Collect(YamlMappingNode mapping, string prefix, Dictionary<string, string> into)
    {
        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            string path = prefix + ((key as YamlScalarNode)?.Value ?? "");
            switch (value)
            {
                case YamlScalarNode scalar:
                    into[path] = scalar.Value ?? "";
                    break;
                case YamlSequenceNode list:
                    into[path] = string.Join(", ", list.Children.OfType<YamlScalarNode>().Select(s => s.Value));
                    break;
                case YamlMappingNode child:
                    Collect(child, path + ".", into);
                    break;
            }
        }
    }
}

/// <summary>A configured value as written, and its layer.</summary>
public readonly record struct ConfigSource(string Value, string Source);
