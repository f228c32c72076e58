using System.Reflection;
using System.Text;
using Godex.Core.Tokens;

namespace Godex.Core.Tests.Tokens;

/// <summary>The vocabulary's arrays, the .tiktoken reader and the byte-pair merge, on o200k_base and on small hand-made vocabularies.</summary>
public sealed class O200kVocabularyTests(ITestOutputHelper output)
{
    [Fact]
    public void O200kBase_HasEveryRankAndEveryByte()
    {
        O200kVocabulary vocabulary = O200kTokenCounter.Vocabulary;

        Assert.Equal(199_998, vocabulary.RankCount);
        for (int rank = 0; rank < vocabulary.RankCount; rank++)
        {
            Assert.True(vocabulary.TryGetRank(vocabulary.Token(rank), out int found) && found == rank, $"rank {rank}");
        }

        // Byte-level BPE: every byte is a token, so every merge ends in tokens.
        for (int value = 0; value < 256; value++)
        {
            Assert.True(vocabulary.TryGetRank([(byte)value], out _), $"byte {value}");
        }

        Assert.False(vocabulary.TryGetRank("not one token at all"u8, out _));
    }

    [Fact]
    public void O200kBase_HoldsNoManagedReferencePerToken()
    {
        // What the GC scans is what holds references. Every field is a number or an array of numbers, so the loaded
        // vocabulary is a fixed handful of objects however many tokens it has (the library kept ~400,000).
        O200kVocabulary vocabulary = O200kTokenCounter.Vocabulary;
        FieldInfo[] fields = typeof(O200kVocabulary).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        int arrays = 0;
        long bytes = 0;
        foreach (FieldInfo field in fields)
        {
            Type type = field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType;
            Assert.True(type.IsPrimitive, $"{field.Name} is a {field.FieldType}");
            if (field.GetValue(vocabulary) is Array array)
            {
                arrays++;
                bytes += (long)array.Length * System.Runtime.InteropServices.Marshal.SizeOf(type);
            }
        }

        output.WriteLine($"{arrays} arrays, {bytes / 1024.0 / 1024:F2} MiB");
        Assert.InRange(arrays, 1, 4);
        Assert.InRange(bytes, 1, 6L << 20);
    }

    [Fact]
    public void Read_RanksByLineNumber_AfterACapacityLine()
    {
        O200kVocabulary vocabulary = Read("Capacity: 3\r\nYQ==\r\nYg==\r\nYWI=\r\n");

        Assert.Equal(3, vocabulary.RankCount);
        Assert.True(vocabulary.TryGetRank("ab"u8, out int rank));
        Assert.Equal(2, rank);
    }

    [Fact]
    public void Read_ExplicitRanks_MaySkipRanks()
    {
        O200kVocabulary vocabulary = Read("YQ== 0\nYg== 1\nYWI= 5");

        Assert.Equal(6, vocabulary.RankCount);
        Assert.True(vocabulary.TryGetRank("ab"u8, out int rank));
        Assert.Equal(5, rank);
        Assert.True(vocabulary.Token(3).IsEmpty);
        Assert.False(vocabulary.TryGetRank([], out _));
    }

    [Theory]
    [InlineData("YQ== 1\nYg== 0", "rank 0 after rank 1")]
    [InlineData("YQ== one", "not a non-negative integer")]
    [InlineData("not-base64!", "not base64")]
    public void Read_MalformedLine_Throws(string tiktoken, string message)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Read(tiktoken));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountTokens_MergesTheLowestRankFirst()
    {
        // bc merges first, and neither "abc" nor "bcd" is a token: a|bc|d. Highest rank first would give ab|cd.
        O200kVocabulary vocabulary = Tokens("a", "b", "c", "d", "bc", "ab", "cd");

        Assert.Equal(3, BytePairMerge.CountTokens(vocabulary, "abcd".AsSpan()));
    }

    [Fact]
    public void CountTokens_OnATie_MergesTheLeftmostPair()
    {
        // "aa" twice: the leftmost merges (aa|a|b), then "ab": aa|ab. The rightmost first would leave a|aa|b.
        O200kVocabulary vocabulary = Tokens("a", "b", "aa", "ab");

        Assert.Equal(2, BytePairMerge.CountTokens(vocabulary, "aaab".AsSpan()));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 1)]
    [InlineData("abcd", 1)]
    public void CountTokens_AWholeToken_IsOne(string piece, int expected)
    {
        // "abcd" is a token no merge reaches (a|bc|d, and neither "abc" nor "bcd" is a token): tiktoken looks the
        // piece up whole before it merges.
        O200kVocabulary vocabulary = Tokens("a", "b", "c", "d", "bc", "abcd");

        Assert.Equal(expected, BytePairMerge.CountTokens(vocabulary, piece.AsSpan()));
    }

    private static O200kVocabulary Tokens(params string[] tokensByRank) =>
        Read(string.Join('\n', tokensByRank.Select(token => Convert.ToBase64String(Encoding.UTF8.GetBytes(token)))));

    private static O200kVocabulary Read(string tiktoken) => TiktokenVocabularyReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(tiktoken)));
}
