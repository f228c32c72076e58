using System.Buffers.Binary;
using System.Numerics;

namespace Godex.Core.Tokens;

/// <summary>
/// The ranks of a byte-pair encoding (<c>o200k_base</c>: ~200k tokens, ~1.4 MB of token bytes) held in three arrays of
/// primitives: every token's bytes in one blob, where each rank's bytes start, and an open-addressing hash table from a
/// token's bytes to its rank. About 4 MB in all, and nothing in them the garbage collector has to trace.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers, which counted before, kept the same vocabulary in three Dictionaries (~25 MB in the large
/// object heap) and ~400,000 small byte arrays and strings: RSS 32.7 → 85.7 MB on first use, and every later garbage
/// collection marked and relocated them (a paced Messages→Codex stream: 1,627k instructions against 732k through the
/// chat door, the difference all in the GC). Arrays of primitives are scanned by no collection.
/// </remarks>
internal sealed class O200kVocabulary
{
    private const int EmptySlot = -1;

    /// <summary>Every token's bytes, rank after rank (and possibly unused room at the end).</summary>
    private readonly byte[] _tokenBytes;

    /// <summary>Rank r's bytes are <c>_tokenBytes[_tokenStarts[r].._tokenStarts[r + 1]]</c>, for r below <see cref="RankCount"/>.</summary>
    private readonly int[] _tokenStarts;

    /// <summary>Ranks by the hash of their bytes, linear probing; a power of two at most half full.</summary>
    private readonly int[] _ranksByHash;

    /// <param name="tokenBytes">The tokens' bytes, rank after rank; room after the last is not read.</param>
    /// <param name="tokenStarts">Where each rank's bytes start in <paramref name="tokenBytes"/>, then where the last
    /// one ends: <paramref name="rankCount"/> + 1 entries are read. A rank with no bytes (a gap in the ranks) is never found.</param>
    /// <param name="rankCount">One more than the highest rank. The arrays are kept as they are, not copied: a reader
    /// that sized them from a hint need not trim them (each copy is a large-object-heap garbage).</param>
    public O200kVocabulary(byte[] tokenBytes, int[] tokenStarts, int rankCount)
    {
        ArgumentNullException.ThrowIfNull(tokenBytes);
        ArgumentNullException.ThrowIfNull(tokenStarts);
        ArgumentOutOfRangeException.ThrowIfNegative(rankCount);
        if (tokenStarts.Length <= rankCount || tokenStarts[rankCount] > tokenBytes.Length)
        {
            throw new ArgumentException("The starts must have rankCount + 1 entries, the last within the token bytes.", nameof(tokenStarts));
        }

        _tokenBytes = tokenBytes;
        _tokenStarts = tokenStarts;
        RankCount = rankCount;
        _ranksByHash = new int[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, rankCount * 2))];
        Array.Fill(_ranksByHash, EmptySlot);
        for (int rank = 0; rank < rankCount; rank++)
        {
            if (!Token(rank).IsEmpty)
            {
                Add(rank);
            }
        }
    }

    /// <summary>One more than the highest rank.</summary>
    public int RankCount { get; }

    /// <summary>The bytes of <paramref name="rank"/>.</summary>
    public ReadOnlySpan<byte> Token(int rank) => _tokenBytes.AsSpan(_tokenStarts[rank], _tokenStarts[rank + 1] - _tokenStarts[rank]);

    /// <summary>The rank of the token whose bytes are <paramref name="token"/>, if there is one.</summary>
    public bool TryGetRank(ReadOnlySpan<byte> token, out int rank)
    {
        int mask = _ranksByHash.Length - 1;
        for (int slot = Hash(token) & mask; ; slot = (slot + 1) & mask)
        {
            int candidate = _ranksByHash[slot];
            if (candidate == EmptySlot)
            {
                rank = EmptySlot;
                return false;
            }

            if (Token(candidate).SequenceEqual(token))
            {
                rank = candidate;
                return true;
            }
        }
    }

    /// <summary>The rank of <paramref name="token"/>, or <see cref="int.MaxValue"/> when it is not a token (the merge's "no pair").</summary>
    public int RankOrMax(ReadOnlySpan<byte> token) => TryGetRank(token, out int rank) ? rank : int.MaxValue;

    private void Add(int rank)
    {
        ReadOnlySpan<byte> token = Token(rank);
        int mask = _ranksByHash.Length - 1;
        int slot = Hash(token) & mask;
        while (_ranksByHash[slot] != EmptySlot && !Token(_ranksByHash[slot]).SequenceEqual(token))
        {
            slot = (slot + 1) & mask;
        }

        // A byte string listed twice keeps its later rank, as a Dictionary filled line by line would.
        _ranksByHash[slot] = rank;
    }

    /// <summary>
    /// A multiply-and-fold hash, eight bytes a step: tokens are short (7 bytes on average), and the merge looks up every
    /// adjacent pair. Not seeded: the table is built once from a fixed vocabulary, so no input can lengthen its probes.
    /// </summary>
    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15; // 2^64 / golden ratio, as in Fibonacci hashing
        ulong hash = (ulong)bytes.Length * Multiplier;
        while (bytes.Length >= sizeof(ulong))
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier;
            hash ^= hash >> 29;
            bytes = bytes[sizeof(ulong)..];
        }

        ulong tail = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            tail |= (ulong)bytes[i] << (8 * i);
        }

        hash = (hash ^ tail) * Multiplier;
        return (int)(hash ^ (hash >> 32));
    }
}
