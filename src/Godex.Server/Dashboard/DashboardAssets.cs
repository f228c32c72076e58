using System.IO.Compression;
using System.Security.Cryptography;

namespace Godex.Server.Dashboard;

/// <summary>
/// The dashboard's static files, embedded in the binary (<c>Dashboard/Assets/*</c>, logical names
/// <c>dashboard/NAME</c>): read once, with their gzip and Brotli forms compressed once at startup (a few ms for
/// ~40 KB) and a content hash for the ETag and the cache-busting query of the pages' links.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private readonly Dictionary<string, DashboardAsset> _assets = new(StringComparer.Ordinal);

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || ContentType(name) is not { } type)
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var raw = new MemoryStream();
            stream.CopyTo(raw);
            byte[] bytes = raw.ToArray();
            string hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
            _assets[name[Prefix.Length..]] = new DashboardAsset(bytes, Compress(bytes, brotli: false), Compress(bytes, brotli: true), type, hash);
        }
    }

    public DashboardAsset? Find(string name) => _assets.GetValueOrDefault(name);

    /// <summary>Every asset, by file name.</summary>
    public IReadOnlyDictionary<string, DashboardAsset> All => _assets;

    /// <summary>The URL of an asset, with its content hash so that a new build is fetched at once.</summary>
    public string Url(string name) => $"/ui/assets/{name}?v={_assets[name].Hash}";

    private static string? ContentType(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => null,
    };

    private static byte[] Compress(byte[] bytes, bool brotli)
    {
        using var output = new MemoryStream();
        using (Stream compressor = brotli ? new BrotliStream(output, CompressionLevel.SmallestSize) : new GZipStream(output, CompressionLevel.SmallestSize))
        {
            compressor.Write(bytes);
        }

        return output.ToArray();
    }
}

/// <summary>One embedded file: as is, gzip and Brotli, its content type and content hash.</summary>
internal sealed record DashboardAsset(byte[] Identity, byte[] Gzip, byte[] Brotli, string ContentType, string Hash)
{
    public string ETag => "\"" + Hash + "\"";
}
