using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Godex.Core.Auth;

namespace Godex.Core.Payments.L402;

/// <summary>
/// The root keys godex signs macaroons with: the <c>--macaroon-key</c> JSON file (mode 0600, created with one key on
/// first use, rewritten atomically). The newest key that is not retired mints; every key that is not retired
/// verifies, so <c>--macaroon-rotate</c> starts a new key without invalidating tokens already sold, and retiring a
/// key (<c>--macaroon-retire ID</c>) revokes every token it signed.
/// <code>{"version":1,"keys":[{"id":"a1b2c3d4","root_key":"&lt;64 hex&gt;","created_at":"…","retired_at":null}]}</code>
/// </summary>
public sealed class MacaroonKeyRing
{
    private readonly string _path;
    private readonly TimeProvider _time;
    private List<RootKey> _keys;

    private MacaroonKeyRing(string path, TimeProvider time, List<RootKey> keys)
    {
        _path = path;
        _time = time;
        _keys = keys;
    }

    /// <summary>A root key; <see cref="RetiredAt"/> set means it no longer verifies.</summary>
    public sealed record RootKey(string Id, byte[] Key, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

    public IReadOnlyList<RootKey> Keys => _keys;

    /// <summary>The key that signs new macaroons.</summary>
    public RootKey Current => _keys.LastOrDefault(k => k.RetiredAt is null) ?? throw new InvalidOperationException("no active macaroon root key");

    /// <summary>Every key that still verifies, newest first.</summary>
    public IEnumerable<RootKey> Active => _keys.Where(k => k.RetiredAt is null).Reverse();

    /// <summary>Loads the file, creating it (and its folder) with one fresh key when it does not exist.</summary>
    public static MacaroonKeyRing Open(string path, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var created = new MacaroonKeyRing(path, time, []);
            created.Rotate();
            return created;
        }

        JsonObject document = CredentialFile.Read(path, "delete it to start with a new root key (every token sold so far stops working)");
        var keys = new List<RootKey>();
        if (document["keys"] is not JsonArray array)
        {
            throw new CredentialException($"macaroon key file {path} has no \"keys\" array");
        }

        foreach (JsonNode? node in array)
        {
            try
            {
                string id = (string)node!["id"]!;
                byte[] key = Convert.FromHexString((string)node["root_key"]!);
                DateTimeOffset created = DateTimeOffset.Parse((string)node["created_at"]!, CultureInfo.InvariantCulture);
                string? retired = (string?)node["retired_at"];
                if (key.Length < 32)
                {
                    throw new FormatException("root keys are 32 bytes");
                }

                keys.Add(new RootKey(id, key, created, retired is null ? null : DateTimeOffset.Parse(retired, CultureInfo.InvariantCulture)));
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or NullReferenceException or InvalidCastException)
            {
                throw new CredentialException($"macaroon key file {path} has a malformed key: {ex.Message}");
            }
        }

        return new MacaroonKeyRing(path, time, keys);
    }

    /// <summary>Adds a new current key (32 random bytes) and saves. Older keys keep verifying.</summary>
    public RootKey Rotate()
    {
        var key = new RootKey(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), RandomNumberGenerator.GetBytes(32), _time.GetUtcNow(), null);
        _keys = [.. _keys, key];
        Save();
        return key;
    }

    /// <summary>Retires a key: tokens it signed stop verifying. False when no such active key exists.</summary>
    public bool Retire(string id)
    {
        int index = _keys.FindIndex(k => k.Id == id && k.RetiredAt is null);
        if (index < 0)
        {
            return false;
        }

        var keys = new List<RootKey>(_keys);
        keys[index] = keys[index] with { RetiredAt = _time.GetUtcNow() };
        _keys = keys;
        Save();
        return true;
    }

    private void Save()
    {
        var array = new JsonArray();
        foreach (RootKey key in _keys)
        {
            array.Add((JsonNode)new JsonObject
            {
                ["id"] = key.Id,
                ["root_key"] = Convert.ToHexStringLower(key.Key),
                ["created_at"] = key.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                ["retired_at"] = key.RetiredAt?.ToString("O", CultureInfo.InvariantCulture),
            });
        }

        CredentialFile.WriteAtomic(_path, new JsonObject { ["version"] = 1, ["keys"] = array });
    }
}
