using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Godex.Core.Keys;

/// <summary>
/// Client-key secrets: generation (<c>gxk_</c> + base64url of 32 random bytes), ids (<c>key_</c> + 12 hex) and
/// hashing. A presented secret is always hashed before lookup, whatever it looks like, so a stored hash presented as a
/// bearer is just another unknown secret (the original accepted it: §10 item 9).
/// </summary>
public static class KeySecrets
{
    public const string SecretPrefix = "gxk_";
    public const string HmacPrefix = "hmac-sha256:";
    public const string LegacyPrefix = "sha256:";

    /// <summary>The shortest secret a client may bring (<c>--key</c>, the admin API's <c>key</c>).</summary>
    public const int MinimumOwnSecretLength = 16;

    public static string NewSecret() => SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Why a brought-your-own secret cannot be a client key, or null when it can: at least
    /// <see cref="MinimumOwnSecretLength"/> characters of printable ASCII without spaces (it travels in an HTTP
    /// header), and none of <paramref name="otherCredentials"/> (the static <c>--api-key</c>, the admin key), whose
    /// requests would otherwise become indistinguishable from this key's.
    /// </summary>
    public static string? CheckOwnSecret(string secret, IEnumerable<string?> otherCredentials)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(otherCredentials);
        if (secret.Length < MinimumOwnSecretLength)
        {
            return $"a key must be at least {MinimumOwnSecretLength} characters (got {secret.Length})";
        }

        if (secret.Any(c => c is <= ' ' or > '~'))
        {
            return "a key must be printable ASCII without spaces (it is sent in an HTTP header)";
        }

        if (otherCredentials.Any(other => !string.IsNullOrEmpty(other) && string.Equals(other, secret, StringComparison.Ordinal)))
        {
            return "a key must not be the proxy's static --api-key or admin key";
        }

        return null;
    }

    public static string NewId() => "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>The longest secret hashed from the stack; longer ones (never a real key) take a pooled buffer.</summary>
    private const int StackSecretBytes = 256;

    /// <summary>This thread's HMAC, keyed with the database secret it was last used with (see <see cref="Hash"/>).</summary>
    [ThreadStatic]
    private static KeyedHmac? t_hmac;

    /// <summary>
    /// The stored form of <paramref name="secret"/>: HMAC-SHA256 keyed with the database secret. Each thread keeps its
    /// keyed HMAC between calls: the one-shot API sets the key up again every time, ~8 µs on OpenSSL 3, which was most
    /// of what authenticating a keyed request cost.
    /// </summary>
    public static string Hash(ReadOnlySpan<byte> databaseSecret, string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        int maxBytes = Encoding.UTF8.GetMaxByteCount(secret.Length);
        byte[]? rented = maxBytes > StackSecretBytes ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[StackSecretBytes];
        int length = Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        KeyedHmac? hmac = t_hmac;
        if (hmac is null || !hmac.Key.AsSpan().SequenceEqual(databaseSecret))
        {
            hmac?.Hash.Dispose();
            t_hmac = hmac = new KeyedHmac(databaseSecret.ToArray());
        }

        try
        {
            hmac.Hash.AppendData(utf8[..length]);
            hmac.Hash.GetHashAndReset(mac);
        }
        catch
        {
            // Whatever state a failure left is not reused.
            t_hmac = null;
            hmac.Hash.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8[..length]);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return HmacPrefix + Convert.ToHexStringLower(mac);
    }

    /// <summary>The original godex's form (<c>sha256:&lt;hex&gt;</c>), for keys imported from it.</summary>
    public static string LegacyHash(string secret) =>
        LegacyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Constant-time comparison of two stored hashes.</summary>
    public static bool HashEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>
    /// Constant-time comparison of a presented secret with a configured one (the static <c>--api-key</c>, the admin
    /// key). Both sides are hashed first so that the comparison length (and its time) says nothing about the configured
    /// secret's length.
    /// </summary>
    public static bool SecretEquals(string presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(expected);
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> expectedHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), expectedHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, expectedHash);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An HMAC-SHA256 and the key it was created with; reset (key kept) by every <c>GetHashAndReset</c>.</summary>
    private sealed class KeyedHmac(byte[] key)
    {
        public byte[] Key { get; } = key;

        public IncrementalHash Hash { get; } = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
    }
}
