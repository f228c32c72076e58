using System.Security.Cryptography;
using System.Text;

namespace Godex.Core.Payments.Macaroons;

/// <summary>
/// A macaroon (Birgisson et al., "Macaroons: Cookies with Contextual Caveats"), as libmacaroons, go-macaroon and the
/// npm <c>macaroon</c> package build them: the signature is an HMAC-SHA256 chain that starts from a key derived from
/// the root key and absorbs the identifier, then each caveat in order. Anyone holding a macaroon can add caveats
/// (and so only narrow it); only the holder of the root key can check it. Third-party caveats are not used by L402
/// and are refused on verification.
/// </summary>
public sealed class Macaroon
{
    // The derivation every macaroon library applies to the root key: HMAC-SHA256 keyed with this constant.
    private static readonly byte[] s_keyGenerator = "macaroons-key-generator"u8.ToArray();

    private readonly List<MacaroonCaveat> _caveats;

    internal Macaroon(string? location, byte[] identifier, List<MacaroonCaveat> caveats, byte[] signature)
    {
        Location = location;
        Identifier = identifier;
        _caveats = caveats;
        Signature = signature;
    }

    public string? Location { get; }

    public byte[] Identifier { get; }

    public IReadOnlyList<MacaroonCaveat> Caveats => _caveats;

    public byte[] Signature { get; private set; }

    /// <summary>A new macaroon signed with <paramref name="rootKey"/>.</summary>
    public static Macaroon Mint(ReadOnlySpan<byte> rootKey, byte[] identifier, string? location)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return new Macaroon(location, identifier, [], HMACSHA256.HashData(DeriveKey(rootKey), identifier));
    }

    /// <summary>Adds a first-party caveat (<c>name=value</c> by L402 convention) and extends the signature chain.</summary>
    public void AddFirstPartyCaveat(string predicate)
    {
        byte[] id = Encoding.UTF8.GetBytes(predicate);
        _caveats.Add(new MacaroonCaveat(id, null, null));
        Signature = HMACSHA256.HashData(Signature, id);
    }

    /// <summary>
    /// Whether the signature chain is intact under <paramref name="rootKey"/>; the comparison is constant-time. The
    /// caveats' meaning is the caller's to check (all of them, refusing unknown ones).
    /// </summary>
    public bool HasValidSignature(ReadOnlySpan<byte> rootKey)
    {
        if (_caveats.Exists(c => c.IsThirdParty))
        {
            return false;
        }

        byte[] signature = HMACSHA256.HashData(DeriveKey(rootKey), Identifier);
        foreach (MacaroonCaveat caveat in _caveats)
        {
            signature = HMACSHA256.HashData(signature, caveat.Identifier);
        }

        return CryptographicOperations.FixedTimeEquals(signature, Signature);
    }

    private static byte[] DeriveKey(ReadOnlySpan<byte> rootKey) => HMACSHA256.HashData(s_keyGenerator, rootKey);
}

/// <summary>A caveat: first-party when it has no verification id.</summary>
public sealed record MacaroonCaveat(byte[] Identifier, byte[]? VerificationId, string? Location)
{
    public bool IsThirdParty => VerificationId is not null;

    /// <summary>The caveat as text (first-party caveats are UTF-8 predicates).</summary>
    public string Predicate => Encoding.UTF8.GetString(Identifier);
}
