using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Godex.Core.Payments.L402;

/// <summary>
/// The identifier of an L402 macaroon, in the layout of Lightning Labs' aperture (and lsat-js): a big-endian uint16
/// version (0), the 32-byte payment hash of the invoice that pays for it, and a random 32-byte token id.
/// </summary>
public sealed record L402Identifier(byte[] PaymentHash, byte[] TokenId)
{
    public const int Length = 2 + 32 + 32;

    public byte[] Encode()
    {
        byte[] bytes = new byte[Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, 0);
        PaymentHash.CopyTo(bytes, 2);
        TokenId.CopyTo(bytes, 34);
        return bytes;
    }

    public static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out L402Identifier? identifier)
    {
        identifier = null;
        if (bytes.Length != Length || BinaryPrimitives.ReadUInt16BigEndian(bytes) != 0)
        {
            return false;
        }

        identifier = new L402Identifier(bytes.Slice(2, 32).ToArray(), bytes.Slice(34, 32).ToArray());
        return true;
    }

    /// <summary>The ledger's key id for requests paid by this token: <c>l402:</c> + the first 6 bytes of the token id.</summary>
    public string KeyId => "l402:" + Convert.ToHexStringLower(TokenId.AsSpan(0, 6));
}
