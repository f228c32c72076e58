using System.Text.RegularExpressions;

namespace Godex.Core.Tokens;

/// <summary>
/// Counts tokens with <c>o200k_base</c>, the BPE encoding of the GPT-4o, GPT-5 and Codex models: the pieces of
/// <see cref="O200kPreTokenizer"/>, each merged by <see cref="BytePairMerge"/> over <see cref="O200kVocabulary"/>
/// (the ranks from package Microsoft.ML.Tokenizers.Data.O200kBase, compiled into the binary). The vocabulary (~200k
/// ranks, ~4 MB of arrays the garbage collector never scans) is loaded on first use, not at startup, so a proxy that
/// never counts never pays for it.
/// </summary>
/// <remarks>
/// <para>Counts as OpenAI counts user text: no special tokens. <c>&lt;|endoftext|&gt;</c> in a message is the plain
/// text it looks like (the API does not let content name a control token; tiktoken's <c>encode_ordinary</c>), 7 tokens,
/// where Microsoft.ML.Tokenizers' <c>CreateForEncoding("o200k_base")</c>, counted before, gave 1.</para>
/// <para>Linear in the text, whatever the text. The byte-pair merge is quadratic in the length of one pre-tokenized
/// piece (issue 14: one run of a repeated character cost 4.4 s at 100 KB, 68 s at 400 KB), and the pre-tokenizer makes
/// a single piece of any run of letters, punctuation or whitespace. So a piece longer than <see cref="MaxPieceLength"/>
/// characters is counted in chunks of that length: a token cannot span a chunk boundary, so such a piece may count a
/// token more per 32 characters than the real tokenizer would. No word, number or identifier of real text is that
/// long; base64, minified code and repeated characters are, and there the count is an estimate within a few percent.
/// Every other piece is counted exactly.</para>
/// <para>Measured on the 2-core CI machine (Release, 1 MiB each, docs/performance.md "godex's own o200k counter"):
/// one repeated letter in ~4 ms (chunk counts memoized by <see cref="TokenCountBudget.CountChunk"/>); prose in ~20 ms
/// (~50 MB/s; the library took ~38 ms); the slowest input found, runs of random letters cut by spaces every 64
/// characters, in ~160 ms (~0.15 µs a character), which <see cref="TokenCountBudget"/> bounds.</para>
/// </remarks>
internal static class O200kTokenCounter
{
    /// <summary>
    /// The longest piece handed to the byte-pair merge at once. At 32 characters the merge costs about as much as the
    /// call around it (16 and 64 were slower on 1 MiB of 'a', 'A', CJK and emoji runs).
    /// </summary>
    internal const int MaxPieceLength = 32;

    /// <summary>How much text is counted between two checks of the cancellation token.</summary>
    private const int SegmentLength = 64 * 1024;

    private static readonly Lazy<O200kVocabulary> s_vocabulary = new(TiktokenVocabularyReader.ReadO200kBase);

    /// <summary>The o200k_base ranks, loaded on first use.</summary>
    internal static O200kVocabulary Vocabulary => s_vocabulary.Value;

    /// <summary>The number of o200k tokens in <paramref name="text"/> (no special tokens), without a budget.</summary>
    public static int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : (int)Count(text, new TokenCountBudget(long.MaxValue, CancellationToken.None));

    /// <summary>
    /// The tokens in <paramref name="text"/>, charged to <paramref name="budget"/>: characters past what the budget
    /// has left are estimated (4 a token) instead of tokenized. Throws <see cref="OperationCanceledException"/> when
    /// the budget's token is cancelled.
    /// </summary>
    public static long Count(string? text, TokenCountBudget budget)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        ReadOnlySpan<char> exact = budget.Take(text);
        long estimated = TokenCountBudget.Estimate(text.Length - exact.Length);
        return CountExact(exact, budget) + estimated;
    }

    private static long CountExact(ReadOnlySpan<char> text, TokenCountBudget budget)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        O200kVocabulary vocabulary = Vocabulary;
        long count = 0;
        int nextCheck = SegmentLength;
        foreach (ValueMatch match in O200kPreTokenizer.Pieces().EnumerateMatches(text))
        {
            if (match.Index >= nextCheck)
            {
                budget.ThrowIfCancellationRequested();
                nextCheck = match.Index + SegmentLength;
            }

            ReadOnlySpan<char> piece = text.Slice(match.Index, match.Length);
            count += piece.Length <= MaxPieceLength
                ? BytePairMerge.CountTokens(vocabulary, piece)
                : CountLongPiece(vocabulary, piece, budget);
        }

        return count;
    }

    /// <summary>A piece longer than <see cref="MaxPieceLength"/>, in chunks; a surrogate pair is never cut.</summary>
    private static long CountLongPiece(O200kVocabulary vocabulary, ReadOnlySpan<char> piece, TokenCountBudget budget)
    {
        long count = 0;
        while (!piece.IsEmpty)
        {
            int length = Math.Min(MaxPieceLength, piece.Length);
            if (length < piece.Length && char.IsHighSurrogate(piece[length - 1]))
            {
                length--;
            }

            count += budget.CountChunk(vocabulary, piece[..length]);
            piece = piece[length..];
        }

        return count;
    }
}
