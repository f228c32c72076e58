namespace Godex.Core.Keys;

/// <summary>A key's model allow-list as it is stored.</summary>
public static class KeyModels
{
    /// <summary>
    /// The patterns with each alias expanded (<c>sonnet</c> → <c>claude-sonnet-4-5</c>): requests are checked against
    /// the model a name routes to, so a stored alias would never match and the key could use nothing. Wildcard
    /// patterns (<c>claude-*</c>) are kept as they are.
    /// </summary>
    public static List<string> Expand(IEnumerable<string> patterns, Func<string, string> expandAlias)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(expandAlias);
        var models = new List<string>();
        foreach (string pattern in patterns.Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            string stored = pattern.Contains('*', StringComparison.Ordinal) ? pattern : expandAlias(pattern);
            if (!models.Contains(stored, StringComparer.OrdinalIgnoreCase))
            {
                models.Add(stored);
            }
        }

        return models;
    }
}
