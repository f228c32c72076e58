using System.Diagnostics;
using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Tokens;
using Microsoft.ML.Tokenizers;

namespace Godex.Core.Tests.Tokens;

/// <summary>
/// Token counting is linear, cancellable and bounded (issue 14, security item 3): one run of a repeated character cost
/// 4.4 s at 100 KB and 68 s at 400 KB before, because the byte-pair merge is quadratic in one piece's length.
/// </summary>
public sealed class O200kTokenCounterTests(ITestOutputHelper output)
{
    private static readonly Tokenizer s_library = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Theory]
    [InlineData('a')]
    [InlineData('A')]
    [InlineData('!')]
    [InlineData(' ')]
    [InlineData('\n')]
    [InlineData('7')]
    [InlineData('中')]
    public void OneMebibyteOfOneCharacter_CountsInLinearTime(char repeated)
    {
        O200kTokenCounter.Count("warm up");
        (int quarterTokens, TimeSpan quarter) = Timed(repeated, 1 << 18);
        (int tokens, TimeSpan whole) = Timed(repeated, 1 << 20);

        output.WriteLine($"'{repeated}': 256 KiB in {quarter.TotalMilliseconds:F0} ms, 1 MiB ({tokens} tokens) in {whole.TotalMilliseconds:F0} ms");
        Assert.InRange(tokens, quarterTokens * 3, quarterTokens * 5);
        // Linear: four times the text, about four times the time (quadratic would be sixteen). Measured in one test so
        // that a busy machine slows both alike; the absolute bound only catches a return to minutes.
        Assert.True(whole < (quarter * 8) + TimeSpan.FromMilliseconds(250), $"1 MiB took {whole.TotalMilliseconds:F0} ms, 256 KiB {quarter.TotalMilliseconds:F0} ms");
        Assert.InRange(whole, TimeSpan.Zero, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// The count and the fastest of three timings: a neighbour taking the CPU for a moment slows one try, not all three
    /// ('7' once took 1,072 ms for 1 MiB against 88 ms for 256 KiB while a soak ran beside the suite). Each try is a
    /// character shorter, so that no try finds the previous one's whole run in a cache.
    /// </summary>
    private static (int Tokens, TimeSpan Elapsed) Timed(char repeated, int length)
    {
        int tokens = 0;
        TimeSpan fastest = TimeSpan.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string text = new(repeated, length - attempt);
            var watch = Stopwatch.StartNew();
            tokens = O200kTokenCounter.Count(text);
            fastest = watch.Elapsed < fastest ? watch.Elapsed : fastest;
        }

        return (tokens, fastest);
    }

    [Fact]
    public void OrdinaryText_CountsExactlyAsTheLibrary_AcrossSegments()
    {
        // Prose, code and numbers over several 64 K segments: every piece is short, so the count must be exact.
        var text = new StringBuilder();
        for (int i = 0; text.Length < 200_000; i++)
        {
            text.Append(CultureInvariant($"Turn {i}: refactor `ParseRequest` so invalid fields give a 400. {i * 7919} ms.\n"))
                .Append("public static bool TryParse(ReadOnlySpan<byte> json) { return json.Length > 0; }\r\n");
        }

        string whole = text.ToString();
        Assert.Equal(s_library.CountTokens(whole, considerPreTokenization: true, considerNormalization: false), O200kTokenCounter.Count(whole));
    }

    [Fact]
    public void LongPieces_AreCountedWithinAFewPercentOfTheLibrary()
    {
        // A random run of letters is one piece: chunked, a token may not span a chunk boundary.
        var random = new Random(14);
        string piece = new(Enumerable.Range(0, 4000).Select(_ => (char)('a' + random.Next(26))).ToArray());
        int exact = s_library.CountTokens(piece, considerPreTokenization: true, considerNormalization: false);
        int counted = O200kTokenCounter.Count(piece);

        output.WriteLine($"exact {exact}, chunked {counted}");
        Assert.InRange(counted, exact, exact * 1.05);
    }

    [Fact]
    public void SurrogatePairs_AreNeverCutBetweenChunks()
    {
        string emoji = string.Concat(Enumerable.Repeat("😀", 1000)); // one piece of 2000 UTF-16 units; 32 is even, 31 is not
        string shifted = "x" + emoji;

        Assert.Equal(s_library.CountTokens(emoji, considerPreTokenization: true, considerNormalization: false), O200kTokenCounter.Count(emoji));
        Assert.InRange(O200kTokenCounter.Count(shifted), 1000, 1100);
    }

    [Fact]
    public void Budget_BeyondItsCharacters_Estimates()
    {
        string text = new('a', 1000);
        var budget = new TokenCountBudget(96, CancellationToken.None);

        long tokens = O200kTokenCounter.Count(text, budget);

        // 96 'a' are exactly 12 tokens (8 a token); the other 904 characters are estimated at 4 a token.
        Assert.Equal(12 + 226, tokens);
        Assert.Equal(904, budget.EstimatedCharacters);
    }

    [Fact]
    public void Count_StopsSoonAfterTheRequestIsCancelled()
    {
        // 8 MiB of varied letters counted exactly (no budget limit) would take seconds; the client leaves at once.
        var random = new Random(3);
        string text = new(Enumerable.Range(0, 8 << 20).Select(i => i % 64 == 63 ? ' ' : (char)('a' + random.Next(26))).ToArray());
        var request = new ChatRequest { Model = "m", Messages = [new ChatMessage(ChatRole.User, text)] };

        // The vocabulary loads on first use (a second or more on a loaded 2-core CI machine): load it before the
        // clock starts, and time from the cancellation itself, which is what the client waits on.
        Assert.True(O200kTokenCounter.Count("warm the vocabulary") > 0);
        using var cancel = new CancellationTokenSource();
        var watch = new Stopwatch();
        cancel.Token.Register(watch.Start);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(100));

        Assert.ThrowsAny<OperationCanceledException>(() => PromptTokenCount.Count(request, new TokenCountBudget(long.MaxValue, cancel.Token)));

        output.WriteLine($"stopped {watch.ElapsedMilliseconds} ms after the cancellation");
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Count_OfAHugeRequest_IsBoundedByTheDefaultBudget()
    {
        var request = new ChatRequest { Model = "m", Messages = [new ChatMessage(ChatRole.User, new string('q', 16 << 20))] };

        var watch = Stopwatch.StartNew();
        long tokens = PromptTokenCount.Count(request, TestContext.Current.CancellationToken);

        output.WriteLine($"16 Mi characters: {tokens} tokens in {watch.ElapsedMilliseconds} ms");
        Assert.InRange(tokens, (16 << 20) / 8, (16 << 20) / 2);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
