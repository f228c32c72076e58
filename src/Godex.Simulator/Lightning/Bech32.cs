using System.Text;

namespace Godex.Simulator.Lightning;

/// <summary>Bech32 (BIP-173) as BOLT11 uses it: 5-bit words, the original checksum constant, no length limit.</summary>
internal static class Bech32
{
    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private static readonly uint[] s_generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

    public static string Encode(string hrp, IReadOnlyList<byte> words)
    {
        ArgumentNullException.ThrowIfNull(hrp);
        ArgumentNullException.ThrowIfNull(words);
        byte[] checksum = Checksum(hrp, words);
        var text = new StringBuilder(hrp.Length + 1 + words.Count + 6);
        text.Append(hrp).Append('1');
        foreach (byte word in words)
        {
            text.Append(Charset[word]);
        }

        foreach (byte word in checksum)
        {
            text.Append(Charset[word]);
        }

        return text.ToString();
    }

    /// <summary>Splits a bech32 string into its hrp and data words (checksum verified and removed); null if invalid.</summary>
    public static (string Hrp, byte[] Words)? Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string lower = text.ToLowerInvariant();
        int separator = lower.LastIndexOf('1');
        if (separator < 1 || separator + 7 > lower.Length)
        {
            return null;
        }

        var words = new List<byte>(lower.Length - separator - 1);
        foreach (char c in lower[(separator + 1)..])
        {
            int value = Charset.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
            {
                return null;
            }

            words.Add((byte)value);
        }

        string hrp = lower[..separator];
        return Polymod(Expand(hrp).Concat(words)) == 1 ? (hrp, words.Take(words.Count - 6).ToArray()) : null;
    }

    /// <summary>Regroups bits (8 → 5 with zero padding, or 5 → 8 dropping the padding).</summary>
    public static byte[] ConvertBits(ReadOnlySpan<byte> data, int from, int to, bool pad)
    {
        var result = new List<byte>(((data.Length * from) / to) + 1);
        int accumulator = 0;
        int bits = 0;
        int max = (1 << to) - 1;
        foreach (byte value in data)
        {
            accumulator = (accumulator << from) | value;
            bits += from;
            while (bits >= to)
            {
                bits -= to;
                result.Add((byte)((accumulator >> bits) & max));
            }
        }

        if (pad && bits > 0)
        {
            result.Add((byte)((accumulator << (to - bits)) & max));
        }

        return [.. result];
    }

    private static byte[] Checksum(string hrp, IReadOnlyList<byte> words)
    {
        uint polymod = Polymod(Expand(hrp).Concat(words).Concat(new byte[6])) ^ 1;
        byte[] checksum = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            checksum[i] = (byte)((polymod >> (5 * (5 - i))) & 31);
        }

        return checksum;
    }

    private static IEnumerable<byte> Expand(string hrp) =>
        hrp.Select(c => (byte)(c >> 5)).Append((byte)0).Concat(hrp.Select(c => (byte)(c & 31)));

    private static uint Polymod(IEnumerable<byte> values)
    {
        uint checksum = 1;
        foreach (byte value in values)
        {
            uint top = checksum >> 25;
            checksum = ((checksum & 0x1ffffff) << 5) ^ value;
            for (int i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    checksum ^= s_generator[i];
                }
            }
        }

        return checksum;
    }
}
