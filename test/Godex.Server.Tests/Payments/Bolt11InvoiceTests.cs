using System.Security.Cryptography;
using System.Text;
using Godex.Simulator.Lightning;

namespace Godex.Server.Tests.Payments;

/// <summary>The simulated node's crypto and encoding against published vectors (npm bolt11 checks the signatures in test/l402).</summary>
public sealed class Bolt11InvoiceTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000001", "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000002", "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000003", "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")]
    public void Secp256k1_PublicKeys_MatchTheKnownMultiplesOfG(string privateKey, string publicKey) =>
        Assert.Equal(publicKey, Convert.ToHexStringLower(Secp256k1.PublicKey(Convert.FromHexString(privateKey))));

    [Theory]
    [InlineData("A12UEL5L")]
    [InlineData("an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs")]
    [InlineData("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")]
    public void Bech32_DecodesAndReencodesTheBip173Vectors(string vector)
    {
        (string hrp, byte[] words) = Bech32.Decode(vector)!.Value;
        Assert.Equal(vector.ToLowerInvariant(), Bech32.Encode(hrp, words));
    }

    [Fact]
    public void Bech32_RejectsABrokenChecksum() => Assert.Null(Bech32.Decode("a12uel5m"));

    [Fact]
    public void Invoice_CarriesAmountTimestampAndPaymentHash_UnderAValidChecksum()
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes("preimage"));
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        string invoice = Bolt11Invoice.Encode(1000, hash, new byte[32], "godex API credit", TimeSpan.FromHours(1), timestamp, RandomNumberGenerator.GetBytes(32));

        (string hrp, byte[] words) = Bech32.Decode(invoice)!.Value;
        Assert.Equal("lnbcrt10u", hrp);
        long seconds = 0;
        for (int i = 0; i < 7; i++)
        {
            seconds = (seconds << 5) | words[i];
        }

        Assert.Equal(1_700_000_000, seconds);
        Assert.Equal(1, words[7]); // the first tagged field is p (payment hash): 52 words
        Assert.Equal(52, (words[8] << 5) | words[9]);
        Assert.Equal(hash, Bech32.ConvertBits(words.AsSpan(10, 52), 5, 8, pad: false)[..32]);
        // timestamp, p, s, d ("godex API credit": 26 words), x (3600: 3 words), c (80: 2 words), 9 (3 words); the rest is the 65-byte signature.
        Assert.Equal(104, words.Length - (7 + 55 + 55 + (3 + 26) + (3 + 3) + (3 + 2) + (3 + 3)));
    }
}
