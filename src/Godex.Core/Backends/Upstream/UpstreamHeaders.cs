namespace Godex.Core.Backends.Upstream;

/// <summary>
/// The headers of one upstream request that carry text a client chose (a session id from <c>prompt_cache_key</c>, the
/// Codex CLI's session headers, Anthropic version and beta lists). It is the only way such text reaches an upstream
/// request: every value is checked here, and one that could change the request's framing or smuggle a header (CR, LF,
/// NUL, any control or non-ASCII character) or that is oversized is not added.
/// </summary>
/// <remarks>
/// HttpClient's <c>TryAddWithoutValidation</c>, which a provider needs for names like <c>session_id</c>, writes a value as
/// given: a client's <c>"a\r\nX-Injected: yes"</c> became a second header on a request that carries the operator's
/// token, and <c>"\r\n\r\nGET /…"</c> a second request on the upstream connection.
/// </remarks>
public sealed class UpstreamHeaders
{
    /// <summary>The longest value accepted. <value>The default value is 1024 characters.</value></summary>
    public const int MaxValueLength = 1024;

    private static readonly KeyValuePair<string, string>[] s_none = [];

    // Made on the first header: most requests carry none (every UpstreamRequest has an instance).
    private List<KeyValuePair<string, string>>? _headers;

    /// <summary>The accepted headers, in the order they were added.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> All => (IReadOnlyList<KeyValuePair<string, string>>?)_headers ?? s_none;

    /// <summary>Adds <paramref name="value"/> under <paramref name="name"/> when both are safe; false (and nothing added) otherwise.</summary>
    public bool TryAdd(string name, string? value)
    {
        if (!IsSafeName(name) || value is null || !IsSafeValue(value))
        {
            return false;
        }

        (_headers ??= new(4)).Add(new(name, value));
        return true;
    }

    /// <summary>The value added under <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Get(string name)
    {
        if (_headers is null)
        {
            return null;
        }

        foreach ((string key, string value) in _headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// True for a value that is at most <see cref="MaxValueLength"/> visible ASCII characters, spaces and tabs
    /// (RFC 9110 field-value without obs-text), not starting or ending with white space.
    /// </summary>
    public static bool IsSafeValue(string value)
    {
        if (value.Length is 0 or > MaxValueLength || value[0] is ' ' or '\t' || value[^1] is ' ' or '\t')
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for an RFC 9110 token (the characters a header name may have).</summary>
    public static bool IsSafeName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64)
        {
            return false;
        }

        foreach (char c in name)
        {
            bool token = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
            if (!token)
            {
                return false;
            }
        }

        return true;
    }
}
