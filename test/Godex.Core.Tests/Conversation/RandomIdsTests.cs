using Godex.Core.Conversation;

namespace Godex.Core.Tests.Conversation;

public sealed class RandomIdsTests
{
    [Fact]
    public void Create_PrefixThenCharactersOfTheAlphabet_NeverTheSameTwice()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 10_000; i++)
        {
            string id = RandomIds.Create("msg_", RandomIds.Alphanumeric, 24);
            Assert.StartsWith("msg_", id, StringComparison.Ordinal);
            Assert.Equal(28, id.Length);
            Assert.All(id[4..], c => Assert.Contains(c, RandomIds.Alphanumeric));
            Assert.True(seen.Add(id));
        }
    }

    [Fact]
    public void Create_UsesEveryCharacterAboutEquallyOften()
    {
        // 62 letters and digits from bytes 0..247 only (rejection sampling): a bias would show as a skewed count.
        var counts = new Dictionary<char, int>();
        string all = string.Concat(Enumerable.Range(0, 2_000).Select(_ => RandomIds.Create("", RandomIds.Alphanumeric, 31)));
        foreach (char c in all)
        {
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }

        double expected = all.Length / 62.0;
        Assert.Equal(62, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, expected * 0.85, expected * 1.15));
    }

    [Fact]
    public void Create_Hex_IsLowercaseHex()
    {
        string id = RandomIds.Create("resp_", RandomIds.LowerHex, 48);
        Assert.Matches("^resp_[0-9a-f]{48}$", id);
    }
}
