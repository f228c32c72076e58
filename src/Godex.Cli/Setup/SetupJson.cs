using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Godex.Cli.Setup;

/// <summary>Options for writing the clients' JSON files (JsonNode only: no type needs metadata, nothing reflects).</summary>
internal static class SetupJson
{
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(),
    };
}
