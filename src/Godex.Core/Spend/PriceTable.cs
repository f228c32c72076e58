using System.Collections.Concurrent;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Keys;

namespace Godex.Core.Spend;

/// <summary>
/// Prices by model pattern (<c>*</c> wildcard, case-insensitive): the operator's <c>proxy.prices</c> first, in file
/// order, then <see cref="BuiltInPrices"/>. A model no pattern matches costs 0 (and is listed as unpriced). Lookups
/// are cached per model name, so the request path pays one dictionary read.
/// </summary>
public sealed class PriceTable
{
    private const int MaxCachedModels = 4096;

    private readonly IReadOnlyList<KeyValuePair<string, ModelPrice>> _entries;
    private readonly ConcurrentDictionary<string, ModelPrice?> _cache = new(StringComparer.Ordinal);

    public PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>> configured)
    {
        _entries = [.. configured, .. BuiltInPrices.All];
    }

    /// <summary>The price of <paramref name="model"/>, or null when none is known.</summary>
    public ModelPrice? Find(string model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        if (_cache.TryGetValue(model, out ModelPrice? price))
        {
            return price;
        }

        price = null;
        foreach ((string pattern, ModelPrice candidate) in _entries)
        {
            if (ModelPattern.Matches(pattern, model))
            {
                price = candidate;
                break;
            }
        }

        if (_cache.Count < MaxCachedModels)
        {
            _cache[model] = price; // clients choose model names: the cache is bounded
        }

        return price;
    }

    /// <summary>The cost of one request in micro-dollars; 0 for an unpriced model.</summary>
    public long CostMicros(string model, Usage usage) => Find(model) is { } price ? Cost(price, usage) : 0;

    /// <summary>
    /// The cost of <paramref name="usage"/> at <paramref name="price"/> in micro-dollars: each kind of token at its
    /// price, summed exactly and rounded up once (a request never costs less than it used).
    /// </summary>
    public static long Cost(ModelPrice price, Usage usage)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentNullException.ThrowIfNull(usage);
        const long PerMillion = 1_000_000;
        long cached = Math.Max(0, usage.CachedInputTokens);
        long written = Math.Max(0, usage.CacheCreationInputTokens);
        long uncached = Math.Max(0, usage.InputTokens - cached - written);
        Int128 total = ((Int128)uncached * price.Input) + ((Int128)cached * price.CachedInput) + ((Int128)written * price.CacheWrite) + ((Int128)Math.Max(0, usage.OutputTokens) * price.Output);
        Int128 micros = (total + PerMillion - 1) / PerMillion;
        return micros > long.MaxValue ? long.MaxValue : (long)micros;
    }
}
