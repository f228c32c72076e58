using System.Diagnostics.CodeAnalysis;
using Godex.Core.Backends;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;

namespace Godex.Core.Routing;

/// <summary>
/// Model name → alias expansion (user aliases, then built-ins, one level) → backend by prefix pattern (in config
/// order: deterministic, never a random map order) → <c>routing.default</c> (<c>codex</c> unless configured, as in
/// the original) → none, only when the default is configured empty or its backend is not enabled. When every account of that backend is
/// cooling down, the model's <c>routing.fallbacks</c> are tried in order (the first whose backend can serve).
/// </summary>
public sealed class ModelRouter
{
    private readonly Dictionary<string, IChatBackend> _backends;
    private readonly RoutingOptions _options;

    public ModelRouter(IEnumerable<IChatBackend> backends, RoutingOptions options)
    {
        _backends = backends.ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);
        _options = options;
    }

    /// <summary>The enabled backends, in registration order.</summary>
    public IEnumerable<IChatBackend> Backends => _backends.Values;

    /// <summary>Expands an alias one level: user aliases first, then built-ins. Returns the input when it is no alias.</summary>
    public string ExpandAlias(string model)
    {
        if (_options.Aliases.TryGetValue(model, out string? user) && !string.IsNullOrWhiteSpace(user))
        {
            return user;
        }

        return BuiltInAliases.All.TryGetValue(model, out string? builtIn) ? builtIn : model;
    }

    /// <summary>The alias table in effect (built-ins overlaid by user aliases).</summary>
    public IReadOnlyDictionary<string, string> Aliases
    {
        get
        {
            var merged = new Dictionary<string, string>(BuiltInAliases.All, StringComparer.OrdinalIgnoreCase);
            foreach ((string alias, string target) in _options.Aliases)
            {
                merged[alias] = target;
            }

            return merged;
        }
    }

    public bool TryResolve(string requested, [NotNullWhen(true)] out ModelRoute? route)
    {
        route = null;
        if (string.IsNullOrWhiteSpace(requested))
        {
            return false;
        }

        string model = ExpandAlias(requested.Trim());
        string? alias = string.Equals(model, requested, StringComparison.Ordinal) ? null : requested;

        IChatBackend? backend = MatchPattern(model);
        if (backend is null && !string.IsNullOrEmpty(_options.Default))
        {
            _backends.TryGetValue(_options.Default, out backend);
        }

        if (backend is null)
        {
            return false;
        }

        route = new ModelRoute(backend, model, alias);
        if (_options.Fallbacks.Count > 0 && backend is IPooledBackend pooled && pooled.Pool.IsExhausted()
            && Fallback(model, requested) is { } fallback)
        {
            route = fallback;
        }

        return true;
    }

    /// <summary>
    /// The fallback for a route whose backend refused before the first byte and now has no account that can serve
    /// (every one was just tried and cools down), or null: the refusal stands.
    /// </summary>
    public ModelRoute? FallbackAfterRefusal(ModelRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (_options.Fallbacks.Count == 0 || route.FallbackFor is not null || route.Backend is not IPooledBackend pooled || !pooled.Pool.IsExhausted())
        {
            return null;
        }

        return Fallback(route.Model, route.Alias ?? route.Model);
    }

    /// <summary>The first of <paramref name="model"/>'s fallbacks whose backend has an account that can serve, or null.</summary>
    private ModelRoute? Fallback(string model, string requested)
    {
        if (!_options.Fallbacks.TryGetValue(model, out List<string>? fallbacks) && !_options.Fallbacks.TryGetValue(requested, out fallbacks))
        {
            return null;
        }

        foreach (string candidate in fallbacks)
        {
            string expanded = ExpandAlias(candidate);
            IChatBackend? backend = MatchPattern(expanded);
            if (backend is null && !string.IsNullOrEmpty(_options.Default))
            {
                _backends.TryGetValue(_options.Default, out backend);
            }

            if (backend is not null && !(backend is IPooledBackend pooled && pooled.Pool.IsExhausted()))
            {
                return new ModelRoute(backend, expanded, requested) { FallbackFor = model };
            }
        }

        return null;
    }

    /// <summary>
    /// The <c>routing.patterns</c> prefix that sends <paramref name="model"/> (already expanded) to an enabled backend,
    /// or null when none does and <c>routing.default</c> decides: what the admin API's route probe shows.
    /// </summary>
    public string? MatchingPrefix(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return MatchPattern(model, out string? prefix) is null ? null : prefix;
    }

    private IChatBackend? MatchPattern(string model) => MatchPattern(model, out _);

    private IChatBackend? MatchPattern(string model, out string? matched)
    {
        foreach ((string backendName, List<string> prefixes) in _options.Patterns)
        {
            if (!_backends.TryGetValue(backendName, out IChatBackend? backend))
            {
                continue;
            }

            foreach (string prefix in prefixes)
            {
                if (model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    matched = prefix;
                    return backend;
                }
            }
        }

        matched = null;
        return null;
    }
}
