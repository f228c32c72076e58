using System.Security.Cryptography;
using System.Text;

namespace Godex.Simulator.Lightning;

/// <summary>
/// Writes BOLT11 payment requests as an LND node on regtest does: hrp <c>lnbcrt</c> + amount, a 35-bit timestamp,
/// the tagged fields <c>p</c> (payment hash), <c>s</c> (payment secret), <c>d</c> (description), <c>x</c> (expiry),
/// <c>c</c> (min final CLTV delta) and <c>9</c> (features: var_onion_optin and payment_secret required), then a
/// recoverable secp256k1 signature over SHA-256(hrp || data) — so any BOLT11 decoder recovers the node's key.
/// </summary>
internal static class Bolt11Invoice
{
    private const int TagPaymentHash = 1;
    private const int TagDescription = 13;
    private const int TagExpiry = 6;
    private const int TagPaymentSecret = 16;
    private const int TagMinFinalCltv = 24;
    private const int TagFeatures = 5;
    private const int MinFinalCltvExpiry = 80;

    public static string Encode(long amountSat, byte[] paymentHash, byte[] paymentSecret, string description, TimeSpan expiry, DateTimeOffset timestamp, byte[] nodePrivateKey)
    {
        string hrp = "lnbcrt" + Amount(amountSat);
        var words = new List<byte>();
        AppendNumber(words, timestamp.ToUnixTimeSeconds(), 7);
        AppendTagged(words, TagPaymentHash, Bech32.ConvertBits(paymentHash, 8, 5, pad: true));
        AppendTagged(words, TagPaymentSecret, Bech32.ConvertBits(paymentSecret, 8, 5, pad: true));
        AppendTagged(words, TagDescription, Bech32.ConvertBits(Encoding.UTF8.GetBytes(description), 8, 5, pad: true));
        AppendTagged(words, TagExpiry, Minimal((long)expiry.TotalSeconds));
        AppendTagged(words, TagMinFinalCltv, Minimal(MinFinalCltvExpiry));
        AppendTagged(words, TagFeatures, Minimal((1L << 8) | (1L << 14)));

        byte[] preimage = [.. Encoding.UTF8.GetBytes(hrp), .. Bech32.ConvertBits([.. words], 5, 8, pad: true)];
        (byte[] signature, int recovery) = Secp256k1.SignRecoverable(nodePrivateKey, SHA256.HashData(preimage));
        words.AddRange(Bech32.ConvertBits([.. signature, (byte)recovery], 8, 5, pad: true));
        return Bech32.Encode(hrp, words);
    }

    /// <summary>The amount part of the hrp: the shortest exact form (<c>10u</c> = 1,000 sat, <c>15n</c> = 1.5 sat).</summary>
    private static string Amount(long sat) =>
        sat % 100_000 == 0 ? (sat / 100_000) + "m"
        : sat % 100 == 0 ? (sat / 100) + "u"
        : (sat * 10) + "n";

    private static void AppendTagged(List<byte> words, int tag, byte[] data)
    {
        words.Add((byte)tag);
        words.Add((byte)(data.Length >> 5));
        words.Add((byte)(data.Length & 31));
        words.AddRange(data);
    }

    private static void AppendNumber(List<byte> words, long value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            words.Add((byte)((value >> (5 * i)) & 31));
        }
    }

    private static byte[] Minimal(long value)
    {
        var words = new List<byte>();
        do
        {
            words.Insert(0, (byte)(value & 31));
            value >>= 5;
        }
        while (value > 0);
        return [.. words];
    }
}
