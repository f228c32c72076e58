using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;

namespace Godex.Core.Tokens;

/// <summary>
/// Reads a <c>.tiktoken</c> vocabulary into an <see cref="O200kVocabulary"/> without a string or an array per token.
/// The format is one token a line: its bytes in base64, then a space and its rank (tiktoken's files), or the base64
/// alone with the line's number as the rank (the Microsoft.ML.Tokenizers data packages, which also start with a
/// <c>Capacity: N</c> line). Ranks must rise; a rank skipped is a token never found.
/// </summary>
internal static class TiktokenVocabularyReader
{
    /// <summary>
    /// The o200k_base data package's (internal) type, by name: a constant name is what lets the trimmer and Native AOT
    /// keep its assembly, resource included (Microsoft.ML.Tokenizers finds the data the same way).
    /// </summary>
    private const string O200kDataTypeName = "Microsoft.ML.Tokenizers.O200kBaseTokenizerData, Microsoft.ML.Tokenizers.Data.O200kBase";

    /// <summary>The package's resource: OpenAI's o200k_base.tiktoken without its ranks, deflate-compressed.</summary>
    private const string O200kResourceName = "o200k_base.tiktoken.deflate";


    /// <summary>The data packages' first line, a size hint for their Dictionaries; the arrays here grow as they need.</summary>
    private static ReadOnlySpan<byte> CapacityPrefix => "Capacity: "u8;

    /// <summary>The longest line accepted: a 128-byte token (o200k's longest) is 172 base64 characters.</summary>
    private const int MaxLineLength = 4096;

    /// <summary>o200k_base from package Microsoft.ML.Tokenizers.Data.O200kBase, compiled into the binary.</summary>
    public static O200kVocabulary ReadO200kBase()
    {
        Type dataType = Type.GetType(O200kDataTypeName, throwOnError: true)!;
        using Stream compressed = dataType.Assembly.GetManifestResourceStream(O200kResourceName)
            ?? throw new InvalidOperationException($"{dataType.Assembly.GetName().Name} has no resource {O200kResourceName}.");
        using var tiktoken = new DeflateStream(compressed, CompressionMode.Decompress);
        return Read(tiktoken);
    }

    /// <summary>The vocabulary in <paramref name="tiktoken"/>, read to its end. Throws <see cref="InvalidDataException"/> on a malformed line.</summary>
    public static O200kVocabulary Read(Stream tiktoken)
    {
        ArgumentNullException.ThrowIfNull(tiktoken);
        var builder = new Builder();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int buffered = 0;
            int lineNumber = 0;
            while (true)
            {
                int read = tiktoken.Read(buffer, buffered, buffer.Length - buffered);
                buffered += read;
                ReadOnlySpan<byte> pending = buffer.AsSpan(0, buffered);
                int newline;
                while ((newline = pending.IndexOf((byte)'\n')) >= 0)
                {
                    builder.AddLine(pending[..newline], ++lineNumber);
                    pending = pending[(newline + 1)..];
                }

                if (read == 0)
                {
                    if (!pending.IsEmpty)
                    {
                        builder.AddLine(pending, ++lineNumber);
                    }

                    return builder.ToVocabulary();
                }

                if (pending.Length > MaxLineLength)
                {
                    throw new InvalidDataException($"Line {lineNumber + 1} of the vocabulary is longer than {MaxLineLength} bytes.");
                }

                pending.CopyTo(buffer);
                buffered = pending.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The arrays as they fill, line by line. With a <c>Capacity: N</c> line they are sized once from N (8 bytes a
    /// token: o200k averages 7) and handed over untrimmed, so loading leaves little garbage behind: every array
    /// here is in the large object heap, which only a full collection frees.
    /// </summary>
    private sealed class Builder
    {
        private const int BytesPerTokenHint = 8;

        /// <summary>The most tokens a capacity hint may reserve room for (o200k has 0.2 M).</summary>
        private const int MaxReservedTokens = 16 * 1024 * 1024;

        private byte[] _tokenBytes = new byte[64 * 1024];
        private int[] _tokenStarts = new int[8 * 1024];
        private int _length;
        private int _nextRank;

        public void AddLine(ReadOnlySpan<byte> line, int lineNumber)
        {
            if (line.EndsWith((byte)'\r'))
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                return;
            }

            if (_nextRank == 0 && line.StartsWith(CapacityPrefix))
            {
                Reserve(ParseRank(line[CapacityPrefix.Length..], lineNumber));
                return;
            }

            int space = line.IndexOf((byte)' ');
            ReadOnlySpan<byte> base64 = space < 0 ? line : line[..space];
            int rank = space < 0 ? _nextRank : ParseRank(line[(space + 1)..], lineNumber);
            if (rank < _nextRank)
            {
                throw new InvalidDataException($"Line {lineNumber}: rank {rank} after rank {_nextRank - 1}; ranks must rise.");
            }

            // A skipped rank gets no bytes: an empty token is never looked up.
            EnsureStarts(rank + 2);
            for (; _nextRank <= rank; _nextRank++)
            {
                _tokenStarts[_nextRank] = _length;
            }

            EnsureBytes(_length + Base64.GetMaxDecodedFromUtf8Length(base64.Length));
            if (Base64.DecodeFromUtf8(base64, _tokenBytes.AsSpan(_length), out _, out int written) != OperationStatus.Done || written == 0)
            {
                throw new InvalidDataException($"Line {lineNumber}: the token is not base64.");
            }

            _length += written;
        }

        public O200kVocabulary ToVocabulary()
        {
            EnsureStarts(_nextRank + 1);
            _tokenStarts[_nextRank] = _length;
            return new O200kVocabulary(_tokenBytes, _tokenStarts, _nextRank);
        }

        private void Reserve(int tokens)
        {
            if (tokens > MaxReservedTokens)
            {
                throw new InvalidDataException($"Capacity {tokens} is more than {MaxReservedTokens} tokens.");
            }

            _tokenStarts = new int[tokens + 1];
            _tokenBytes = new byte[tokens * BytesPerTokenHint];
        }

        private static int ParseRank(ReadOnlySpan<byte> digits, int lineNumber) =>
            Utf8Parser.TryParse(digits, out int rank, out int consumed) && consumed == digits.Length && rank >= 0
                ? rank
                : throw new InvalidDataException($"Line {lineNumber}: the rank is not a non-negative integer.");

        private void EnsureBytes(int length)
        {
            if (length > _tokenBytes.Length)
            {
                Array.Resize(ref _tokenBytes, Math.Max(length, _tokenBytes.Length * 2));
            }
        }

        private void EnsureStarts(int length)
        {
            if (length > _tokenStarts.Length)
            {
                Array.Resize(ref _tokenStarts, Math.Max(length, _tokenStarts.Length * 2));
            }
        }
    }
}
