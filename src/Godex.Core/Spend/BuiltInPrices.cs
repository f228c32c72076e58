using Godex.Core.Configuration;

namespace Godex.Core.Spend;

/// <summary>
/// List prices godex knows without configuration, in USD per million tokens.
/// Source: the providers' public price pages, <c>https://openai.com/api/pricing</c> and
/// <c>https://docs.anthropic.com/en/docs/about-claude/pricing</c>, as of 2025-12-01. Requests served through a
/// ChatGPT or Claude subscription login are not billed per token: for them the cost is what the same tokens would
/// cost at list price. Models released later (gpt-5.3 and newer) have no built-in price: set one in
/// <c>proxy.prices</c>. Patterns are tried in order, most specific first.
/// </summary>
public static class BuiltInPrices
{
    /// <summary>Where <see cref="All"/> comes from, for <c>godex proxy usage</c> and the docs.</summary>
    public const string Source = "openai.com/api/pricing and docs.anthropic.com/en/docs/about-claude/pricing, as of 2025-12-01";

    public static IReadOnlyList<KeyValuePair<string, ModelPrice>> All { get; } =
    [
        // OpenAI: cached input is a tenth of input; reasoning tokens are billed as output.
        Entry("gpt-5.2*", "in=1.75,cached_in=0.175,out=14"),
        Entry("gpt-5.1-codex-mini*", "in=0.25,cached_in=0.025,out=2"),
        Entry("gpt-5-codex-mini*", "in=0.25,cached_in=0.025,out=2"),
        Entry("gpt-5-mini*", "in=0.25,cached_in=0.025,out=2"),
        Entry("gpt-5-nano*", "in=0.05,cached_in=0.005,out=0.4"),
        Entry("gpt-5.1*", "in=1.25,cached_in=0.125,out=10"),
        Entry("gpt-5-codex*", "in=1.25,cached_in=0.125,out=10"),
        Entry("gpt-5", "in=1.25,cached_in=0.125,out=10"),
        Entry("gpt-5-20*", "in=1.25,cached_in=0.125,out=10"),

        // Anthropic: cache reads are 0.1x input, 5-minute cache writes 1.25x input; thinking is billed as output.
        Entry("claude-opus-4-5*", "in=5,cached_in=0.5,cache_write=6.25,out=25"),
        Entry("claude-opus-4*", "in=15,cached_in=1.5,cache_write=18.75,out=75"),
        Entry("claude-sonnet-4*", "in=3,cached_in=0.3,cache_write=3.75,out=15"),
        Entry("claude-3-7-sonnet*", "in=3,cached_in=0.3,cache_write=3.75,out=15"),
        Entry("claude-haiku-4-5*", "in=1,cached_in=0.1,cache_write=1.25,out=5"),
        Entry("claude-3-5-haiku*", "in=0.8,cached_in=0.08,cache_write=1,out=4"),
    ];

    private static KeyValuePair<string, ModelPrice> Entry(string pattern, string price) =>
        new(pattern, ModelPrice.Parse(price, "built-in price of " + pattern));
}
