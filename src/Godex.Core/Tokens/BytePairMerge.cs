using System.Buffers;
using System.Text.Unicode;

namespace Godex.Core.Tokens;

/// <summary>
/// tiktoken's byte-pair merge, counting only: a piece's UTF-8 bytes start as one part each, and the adjacent pair whose
/// joined bytes have the lowest rank is merged (the leftmost on a tie) until no adjacent pair is a token; the count is
/// the parts left. A piece that is a token as a whole counts 1 without merging, as in tiktoken and Microsoft.ML.Tokenizers.
/// </summary>
/// <remarks>
/// Quadratic in the piece's length (each merge rescans the parts): <see cref="O200kTokenCounter"/> hands it at most
/// <see cref="O200kTokenCounter.MaxPieceLength"/> characters (≤ 96 bytes), so its buffers live on the stack and a
/// count allocates nothing. Longer pieces (only from other callers) rent their buffers.
/// </remarks>
internal static class BytePairMerge
{
    /// <summary>The most UTF-8 bytes merged in stack memory: a piece of 32 characters is at most 96 bytes.</summary>
    private const int StackBytes = 128;

    /// <summary>The tokens in one pre-tokenized <paramref name="piece"/>.</summary>
    public static int CountTokens(O200kVocabulary vocabulary, ReadOnlySpan<char> piece)
    {
        if (piece.IsEmpty)
        {
            return 0;
        }

        // Three bytes a UTF-16 unit at most (a surrogate pair: four bytes for two units).
        int maxBytes = piece.Length * 3;
        byte[]? rented = null;
        Span<byte> utf8 = maxBytes <= StackBytes ? stackalloc byte[StackBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int length = EncodeUtf8(piece, utf8);
            return CountTokens(vocabulary, utf8[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The tokens in one pre-tokenized piece given as its UTF-8 <paramref name="bytes"/>.</summary>
    public static int CountTokens(O200kVocabulary vocabulary, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= 1 || vocabulary.TryGetRank(bytes, out _))
        {
            return bytes.IsEmpty ? 0 : 1;
        }

        // Part i is bytes[starts[i]..starts[i + 1]]; ranks[i] is the rank of part i joined with part i + 1
        // (int.MaxValue: not a token, or no part i + 1).
        int length = bytes.Length + 1;
        int[]? rented = null;
        Span<int> scratch = length <= StackBytes + 1 ? stackalloc int[2 * (StackBytes + 1)] : (rented = ArrayPool<int>.Shared.Rent(2 * length));
        try
        {
            Span<int> starts = scratch[..length];
            Span<int> ranks = scratch.Slice(length, length);
            int parts = bytes.Length;
            for (int i = 0; i <= parts; i++)
            {
                starts[i] = i;
            }

            for (int i = 0; i < parts; i++)
            {
                ranks[i] = PairRank(vocabulary, bytes, starts, parts, i);
            }

            while (parts > 1)
            {
                int lowest = -1;
                int lowestRank = int.MaxValue;
                for (int i = 0; i < parts - 1; i++)
                {
                    if (ranks[i] < lowestRank)
                    {
                        lowest = i;
                        lowestRank = ranks[i];
                    }
                }

                if (lowest < 0)
                {
                    break;
                }

                // Part lowest + 1 joins part lowest: drop its start, and the parts after it move down one.
                starts[(lowest + 2)..(parts + 1)].CopyTo(starts[(lowest + 1)..]);
                ranks[(lowest + 2)..parts].CopyTo(ranks[(lowest + 1)..]);
                parts--;
                ranks[lowest] = PairRank(vocabulary, bytes, starts, parts, lowest);
                if (lowest > 0)
                {
                    ranks[lowest - 1] = PairRank(vocabulary, bytes, starts, parts, lowest - 1);
                }
            }

            return parts;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private static int PairRank(O200kVocabulary vocabulary, ReadOnlySpan<byte> bytes, ReadOnlySpan<int> starts, int parts, int part) =>
        part + 1 < parts ? vocabulary.RankOrMax(bytes[starts[part]..starts[part + 2]]) : int.MaxValue;

    /// <summary>
    /// UTF-8, except that a lone surrogate becomes the three bytes of its code unit (generalized UTF-8) instead of
    /// U+FFFD, as Microsoft.ML.Tokenizers encodes it: counts stay equal to the library's. Lone surrogates are not
    /// valid text, so no upstream count exists to follow.
    /// </summary>
    private static int EncodeUtf8(ReadOnlySpan<char> text, Span<byte> destination)
    {
        int total = 0;
        while (true)
        {
            OperationStatus status = Utf8.FromUtf16(text, destination, out int read, out int written, replaceInvalidSequences: false);
            total += written;
            if (status != OperationStatus.InvalidData)
            {
                return status == OperationStatus.Done ? total : throw new InvalidOperationException($"UTF-8 encoding stopped: {status}.");
            }

            uint surrogate = text[read];
            destination = destination[written..];
            destination[0] = (byte)(0xE0 | (surrogate >> 12));
            destination[1] = (byte)(0x80 | ((surrogate >> 6) & 0x3F));
            destination[2] = (byte)(0x80 | (surrogate & 0x3F));
            destination = destination[3..];
            total += 3;
            text = text[(read + 1)..];
        }
    }
}
