using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Keys;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Admin;

/// <summary>
/// <c>GET /admin/config</c>: every key with its effective value and where it came from (<c>default</c>, <c>file</c>,
/// <c>env GODEX_*</c>, <c>flag --x</c>), secrets masked. Values set by a layer are shown as written; defaults are the
/// config template's (docs/config.template.yaml, embedded: every key with its default).
/// </summary>
internal static class AdminConfig
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_defaults = new(LoadDefaults);

    public static Task HandleAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        GodexOptions options = context.RequestServices.GetRequiredService<GodexOptions>();
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => Write(w, options.Sources, s_defaults.Value));
    }

    internal static void Write(Utf8JsonWriter w, ConfigSources sources, IReadOnlyDictionary<string, string> defaults)
    {
        w.WriteStartObject();
        w.WriteStartArray("keys"u8);
        foreach (string path in ConfigSources.KeyPaths)
        {
            bool set = sources.Set.TryGetValue(path, out ConfigSource source);
            if (!set && !defaults.ContainsKey(path))
            {
                // The original godex's spellings of keys (proxy.base_url, client.*, auth.*): shown when used.
                continue;
            }

            string value = set ? source.Value : defaults[path];
            bool secret = IsSecret(path);
            w.WriteStartObject();
            w.WriteString("key"u8, path);
            w.WriteString("value"u8, secret ? (value.Length == 0 ? "" : "•••••• (set)") : Mask(value));
            w.WriteString("source"u8, set ? source.Source : "default");
            w.WriteBoolean("secret"u8, secret);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Keys whose whole value is a credential: client and admin keys, API keys, and headers sent to a collector (they carry tokens).</summary>
    internal static bool IsSecret(string path) =>
        path.EndsWith("api_key", StringComparison.Ordinal) || path.EndsWith("admin_key", StringComparison.Ordinal) || path.EndsWith(".headers", StringComparison.Ordinal);

    /// <summary>A URL's password (<c>postgres://user:password@host</c>, an OTLP endpoint with credentials) replaced; other text as is.</summary>
    internal static string Mask(string value)
    {
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        int at = scheme < 0 ? -1 : value.IndexOf('@', scheme + 3);
        if (at < 0)
        {
            return value;
        }

        int colon = value.IndexOf(':', scheme + 3, at - scheme - 3);
        return colon < 0 ? value : value[..(colon + 1)] + "******" + value[at..];
    }

    private static IReadOnlyDictionary<string, string> LoadDefaults()
    {
        using Stream? stream = typeof(AdminConfig).Assembly.GetManifestResourceStream("config.template.yaml");
        if (stream is null)
        {
            return new Dictionary<string, string>();
        }

        using var reader = new StreamReader(stream);
        return ConfigSources.DefaultsFromTemplate(reader.ReadToEnd());
    }
}
