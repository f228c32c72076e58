using Microsoft.ML.Tokenizers;

namespace Godex.Core.Tokens;

/// <summary>
/// Counts tokens with <c>o200k_base</c>, the BPE encoding of the GPT-4o, GPT-5 and Codex models (Microsoft.ML.Tokenizers
/// and its data package, compiled into the binary). The vocabulary (~200k ranks, ~10 MB in memory) is loaded on first
/// use, not at startup, so a proxy that never counts never pays for it.
/// </summary>
/// <remarks>
/// <para>Linear in the text, whatever the text. The library's byte-pair merge is quadratic in the length of one
/// pre-tokenized piece (issue 14: one run of a repeated character cost 4.4 s at 100 KB, 68 s at 400 KB), and the
/// pre-tokenizer makes a single piece of any run of letters, punctuation or whitespace. So the text is cut at piece
/// boundaries into segments the library counts as it would the whole (an exact count), and a piece longer than
/// <see cref="MaxPieceLength"/> characters is counted in chunks of that length: a token cannot span a chunk boundary,
/// so such a piece may count a token more per 32 characters than the real tokenizer would. No word, number or
/// identifier of real text is that long; base64, minified code and repeated characters are, and there the count is
/// an estimate within a few percent.</para>
/// <para>Measured on the 2-core CI machine (Release): 1 MiB of one repeated letter in ~0.5 s before chunk counts were
/// memoized (<see cref="TokenCountBudget.CountChunk"/>), ~0.1 s after; prose at ~10 MB/s as before; the slowest input
/// found, runs of random letters cut by spaces every 64 characters, at ~1 µs a character, which
/// <see cref="TokenCountBudget"/> bounds.</para>
/// </remarks>
internal static class O200kTokenCounter
{
    /// <summary>
    /// The longest piece handed to the byte-pair merge at once. At 32 characters the merge costs about as much as the
    /// call around it (16 and 64 were slower on 1 MiB of 'a', 'A', CJK and emoji runs).
    /// </summary>
    internal const int MaxPieceLength = 32;

    /// <summary>How much text one call to the library counts at most: the cancellation token is checked between calls.</summary>
    private const int SegmentLength = 64 * 1024;

    private static readonly Lazy<Tokenizer> Encoding = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

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

        Tokenizer tokenizer = Encoding.Value;
        if (text.Length <= MaxPieceLength)
        {
            return tokenizer.CountTokens(text, considerPreTokenization: true, considerNormalization: false);
        }

        // Pieces come from the same pre-tokenizer the library uses, so counting [segmentStart, offset) with
        // pre-tokenization on gives exactly the count of those pieces.
        long count = 0;
        int segmentStart = 0;
        foreach ((int offset, int length) in tokenizer.PreTokenizer!.PreTokenize(text))
        {
            if (length <= MaxPieceLength && offset + length - segmentStart <= SegmentLength)
            {
                continue;
            }

            if (offset > segmentStart)
            {
                budget.ThrowIfCancellationRequested();
                count += tokenizer.CountTokens(text[segmentStart..offset], considerPreTokenization: true, considerNormalization: false);
            }

            if (length <= MaxPieceLength)
            {
                segmentStart = offset;
                continue;
            }

            count += CountLongPiece(tokenizer, text.Slice(offset, length), budget);
            segmentStart = offset + length;
        }

        if (segmentStart < text.Length)
        {
            budget.ThrowIfCancellationRequested();
            count += tokenizer.CountTokens(text[segmentStart..], considerPreTokenization: true, considerNormalization: false);
        }

        return count;
    }

    /// <summary>A piece longer than <see cref="MaxPieceLength"/>, in chunks; a surrogate pair is never cut.</summary>
    private static long CountLongPiece(Tokenizer tokenizer, ReadOnlySpan<char> piece, TokenCountBudget budget)
    {
        long count = 0;
        while (!piece.IsEmpty)
        {
            int length = Math.Min(MaxPieceLength, piece.Length);
            if (length < piece.Length && char.IsHighSurrogate(piece[length - 1]))
            {
                length--;
            }

            count += budget.CountChunk(tokenizer, piece[..length]);
            piece = piece[length..];
        }

        return count;
    }
}
