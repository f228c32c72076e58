using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Spend;

namespace Godex.Core.Tests.Spend;

public sealed class PriceTableTests
{
    [Fact]
    public void Cost_PricesEachKindOfToken_InExactMicroDollars_RoundedUpOnce()
    {
        ModelPrice price = ModelPrice.Parse("in=3,cached_in=0.3,cache_write=3.75,out=15", "test");
        var usage = new Usage { InputTokens = 1_000_000, CachedInputTokens = 200_000, CacheCreationInputTokens = 100_000, OutputTokens = 10_000, ReasoningTokens = 4_000 };

        // 700k uncached × $3/M + 200k cached × $0.3/M + 100k written × $3.75/M + 10k out (reasoning included) × $15/M
        Assert.Equal(2_100_000 + 60_000 + 375_000 + 150_000, PriceTable.Cost(price, usage));
        Assert.Equal(1, PriceTable.Cost(ModelPrice.Parse("in=0.05", "test"), new Usage { InputTokens = 1 })); // 0.05 µ$ rounds up to 1
    }

    [Fact]
    public void Table_TriesConfiguredPricesFirst_ThenTheBuiltInOnes()
    {
        var table = new PriceTable([new("gpt-5.2*", ModelPrice.Parse("in=1,out=2", "proxy.prices.gpt-5.2*"))]);

        Assert.Equal(1_000_000, table.Find("gpt-5.2-codex")!.Input);
        Assert.Equal(3_000_000, table.Find("claude-sonnet-4-5")!.Input);
        Assert.Null(table.Find("some-local-model"));
        Assert.Equal(0, table.CostMicros("some-local-model", new Usage { InputTokens = 10 }));
    }

    [Theory]
    [InlineData("in=abc")]
    [InlineData("in=0.0000001")]
    [InlineData("price=1")]
    public void Parse_RefusesWhatIsNotAnExactPrice(string text) =>
        Assert.Throws<ConfigException>(() => ModelPrice.Parse(text, "proxy.prices.x"));

    [Theory]
    [InlineData("20", 20_000_000L)]
    [InlineData("0.01", 10_000L)]
    [InlineData("0.000001", 1L)]
    public void Usd_ParsesAndPrintsExactly(string text, long micros)
    {
        Assert.True(Money.TryParseUsd(text, out long parsed));
        Assert.Equal(micros, parsed);
        Assert.Equal(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(Money.Usd(micros), System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(Money.TryParseUsd("0.0000001", out _));
        Assert.False(Money.TryParseUsd("-1", out _));
    }
}
