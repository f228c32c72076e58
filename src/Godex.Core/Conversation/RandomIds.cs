namespace Godex.Core.Conversation;

/// <summary>
/// Unguessable ids for responses, messages and completions (<c>resp_…</c>, <c>msg_…</c>, <c>chatcmpl-…</c>): characters
/// drawn without bias from a cryptographic random source (<see cref="SecureRandom"/>), like
/// <see cref="System.Security.Cryptography.RandomNumberGenerator.GetString"/>, but from a per-thread block of random
/// bytes refilled 4 KiB at a time. One call into the crypto library per id cost ~2.5 %
/// of the proxy's CPU in bench (a) (a lock, a <c>getpid</c> and OpenSSL's DRBG per call), and one per ten ids (a
/// 256-byte block) still ~0.6 % in bench (d); stored response ids must stay unguessable, because
/// <c>GET /v1/responses/{id}</c> serves whoever knows one.
/// </summary>
public static class RandomIds
{
    /// <summary>Letters and digits, as OpenAI's and Anthropic's ids use.</summary>
    public const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Lowercase hexadecimal digits.</summary>
    public const string LowerHex = "0123456789abcdef";

    /// <summary>The values a random byte takes.</summary>
    private const int ByteValues = 256;

    private const int BlockSize = 4096;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_used;

    /// <summary><paramref name="prefix"/> followed by <paramref name="length"/> random characters of <paramref name="alphabet"/> (2 to 256 characters).</summary>
    public static string Create(string prefix, string alphabet, int length)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(alphabet.Length, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alphabet.Length, ByteValues);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return string.Create(prefix.Length + length, (prefix, alphabet), static (chars, state) =>
        {
            state.prefix.AsSpan().CopyTo(chars);
            Fill(chars[state.prefix.Length..], state.alphabet);
        });
    }

    private static void Fill(Span<char> chars, string alphabet)
    {
        // Rejection sampling: bytes at or above the largest multiple of the alphabet's size are skipped, so every
        // character is equally likely.
        int limit = ByteValues - (ByteValues % alphabet.Length);
        int written = 0;
        while (written < chars.Length)
        {
            Span<byte> random = Take(chars.Length - written);
            foreach (byte value in random)
            {
                if (value < limit)
                {
                    chars[written++] = alphabet[value % alphabet.Length];
                }
            }

            random.Clear(); // spent bytes do not stay in memory
        }
    }

    /// <summary>Up to <paramref name="count"/> unused bytes of this thread's block (at least one), refilled when used up.</summary>
    private static Span<byte> Take(int count)
    {
        byte[]? block = t_block;
        int used = t_used;
        if (block is null || used == BlockSize)
        {
            block ??= t_block = new byte[BlockSize];
            SecureRandom.Fill(block);
            used = 0;
        }

        int taken = Math.Min(count, BlockSize - used);
        t_used = used + taken;
        return block.AsSpan(used, taken);
    }
}
