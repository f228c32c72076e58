using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace Godex.Simulator.Lightning;

/// <summary>
/// Just enough secp256k1 for the simulated Lightning node to sign BOLT11 invoices the way a real node does:
/// public keys and recoverable ECDSA signatures (r, s, recovery id) with low s. Affine arithmetic over
/// <see cref="BigInteger"/>: slow (a few ms per signature) and not constant-time, which is fine for a test node
/// that signs its own simulated invoices and never holds real funds. Not for anything else.
/// </summary>
internal static class Secp256k1
{
    public static readonly BigInteger P = Hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F");
    public static readonly BigInteger N = Hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
    private static readonly Point s_g = new(
        Hex("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"),
        Hex("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8"));

    /// <summary>An affine point on the curve. The point at infinity is a null <c>Point?</c>.</summary>
    public sealed record Point(BigInteger X, BigInteger Y);

    /// <summary>The 33-byte compressed public key of a 32-byte private key.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        Point point = Multiply(s_g, Scalar(privateKey))!;
        byte[] key = new byte[33];
        key[0] = point.Y.IsEven ? (byte)2 : (byte)3;
        Bytes32(point.X).CopyTo(key, 1);
        return key;
    }

    /// <summary>Signs a 32-byte hash: 64 bytes <c>r || s</c> (low s) and the recovery id (0–3).</summary>
    public static (byte[] Signature, int RecoveryId) SignRecoverable(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> hash)
    {
        BigInteger d = Scalar(privateKey);
        BigInteger z = Scalar(hash);
        while (true)
        {
            BigInteger k = Scalar(RandomNumberGenerator.GetBytes(32));
            if (k.IsZero || k >= N)
            {
                continue;
            }

            Point r = Multiply(s_g, k)!;
            BigInteger rx = r.X % N;
            if (rx.IsZero)
            {
                continue;
            }

            BigInteger s = Mod(Inverse(k, N) * (z + (rx * d)), N);
            if (s.IsZero)
            {
                continue;
            }

            int recovery = (r.Y.IsEven ? 0 : 1) | (r.X >= N ? 2 : 0);
            if (s > N / 2)
            {
                s = N - s;
                recovery ^= 1;
            }

            byte[] signature = new byte[64];
            Bytes32(rx).CopyTo(signature, 0);
            Bytes32(s).CopyTo(signature, 32);
            return (signature, recovery);
        }
    }

    private static Point? Multiply(Point point, BigInteger scalar)
    {
        Point? result = null;
        Point? addend = point;
        while (!scalar.IsZero)
        {
            if (!scalar.IsEven)
            {
                result = Add(result, addend);
            }

            addend = Add(addend, addend);
            scalar >>= 1;
        }

        return result;
    }

    private static Point? Add(Point? a, Point? b)
    {
        if (a is null)
        {
            return b;
        }

        if (b is null)
        {
            return a;
        }

        BigInteger slope;
        if (a.X == b.X)
        {
            if (Mod(a.Y + b.Y, P).IsZero)
            {
                return null;
            }

            slope = Mod(3 * a.X * a.X * Inverse(2 * a.Y, P), P);
        }
        else
        {
            slope = Mod((b.Y - a.Y) * Inverse(b.X - a.X, P), P);
        }

        BigInteger x = Mod((slope * slope) - a.X - b.X, P);
        return new Point(x, Mod((slope * (a.X - x)) - a.Y, P));
    }

    private static BigInteger Inverse(BigInteger value, BigInteger modulus) => BigInteger.ModPow(Mod(value, modulus), modulus - 2, modulus);

    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        BigInteger r = value % modulus;
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger Scalar(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    private static byte[] Bytes32(BigInteger value)
    {
        byte[] raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] bytes = new byte[32];
        raw.CopyTo(bytes, 32 - raw.Length);
        return bytes;
    }

    private static BigInteger Hex(string hex) => BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
