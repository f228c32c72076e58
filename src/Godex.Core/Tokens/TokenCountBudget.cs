namespace Godex.Core.Tokens;

/// <summary>
/// What one request may spend on tokenizing: a number of characters counted exactly (the rest is estimated at 4
/// characters a token, the tokenizer's average on English prose) and the request's cancellation token, checked at
/// least every 64 K characters (every 256 chunks of a long piece, ~8 K characters). It also remembers the counts of long-piece chunks it has seen (<see cref="CountChunk"/>),
/// so a run of one repeated character costs one byte-pair merge, not one per 32 characters.
/// </summary>
/// <remarks>Not thread-safe: one budget per count.</remarks>
internal sealed class TokenCountBudget(long exactCharacters, CancellationToken cancellationToken)
{
    /// <summary>
    /// The default for one request: 1 Mi characters (a prompt of ~250 K tokens is counted exactly), at most ~0.2 s of
    /// CPU on the slowest input measured (runs of random letters; ~1 s with Microsoft.ML.Tokenizers' merge, counted
    /// before); prose takes ~20 ms.
    /// </summary>
    public const long DefaultExactCharacters = 1024 * 1024;

    /// <summary>How many distinct chunk counts are remembered.</summary>
    private const int MaxRememberedChunks = 4096;

    private long _remaining = exactCharacters;
    private Dictionary<string, int>? _chunks;
    private int _chunksCounted;

    /// <summary>Characters that were estimated because the budget ran out.</summary>
    public long EstimatedCharacters { get; private set; }

    public static long Estimate(long characters) => (characters + 3) / 4;

    /// <summary>The prefix of <paramref name="text"/> still to be counted exactly; the rest is booked as estimated.</summary>
    public ReadOnlySpan<char> Take(string text)
    {
        if (_remaining >= text.Length)
        {
            _remaining -= text.Length;
            return text;
        }

        int length = (int)Math.Max(0, _remaining);
        if (length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        _remaining = 0;
        EstimatedCharacters += text.Length - length;
        return text.AsSpan(0, length);
    }

    public void ThrowIfCancellationRequested() => cancellationToken.ThrowIfCancellationRequested();

    /// <summary>The token count of one chunk of a long piece, from memory when the same chunk was counted before.</summary>
    public int CountChunk(O200kVocabulary vocabulary, ReadOnlySpan<char> chunk)
    {
        _chunks ??= new Dictionary<string, int>(StringComparer.Ordinal);
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup = _chunks.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chunk, out int known))
        {
            return known;
        }

        if (++_chunksCounted % 256 == 0)
        {
            ThrowIfCancellationRequested();
        }

        int count = BytePairMerge.CountTokens(vocabulary, chunk);
        if (_chunks.Count < MaxRememberedChunks)
        {
            lookup[chunk] = count;
        }

        return count;
    }
}
