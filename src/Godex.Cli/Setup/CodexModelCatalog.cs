using System.Text.Json;
using System.Text.Json.Nodes;

namespace Godex.Cli.Setup;

/// <summary>
/// The Codex CLI offers its <c>apply_patch</c> tool (and picks its prompts) only for model names it has metadata for;
/// for any other name (<c>claude-sonnet-4-5</c> through godex, a new <c>gpt-*</c>) it falls back to metadata without
/// it. Its config key <c>model_catalog_json</c> names a file of such metadata: this writes one that gives each model
/// the metadata of a model Codex knows (<c>gpt-5.5</c>), copied from the catalog built into the installed Codex binary
/// (as test/e2e/codex-cli/model-catalog.py does for the end-to-end test).
/// </summary>
internal static class CodexModelCatalog
{
    public const string TemplateSlug = "gpt-5.5";

    private static readonly byte[] s_catalogStart = "{\n  \"models\": ["u8.ToArray();

    /// <summary>The real Codex binary: <paramref name="explicitPath"/>, else <c>codex</c> on PATH (through npm's shim and symlinks).</summary>
    public static string? FindBinary(string? explicitPath)
    {
        string? start = explicitPath ?? Commands.AuthCommand.FindOnPath("codex");
        if (start is null || !File.Exists(start))
        {
            return null;
        }

        var file = new FileInfo(start);
        if (file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
        {
            file = target;
        }

        if (file.Length > 1_000_000)
        {
            return file.FullName; // the native binary itself
        }

        // npm's layout: node_modules/@openai/codex/bin/codex.js, with the native binary in an @openai package beside it.
        for (DirectoryInfo? dir = file.Directory; dir is not null; dir = dir.Parent)
        {
            if (dir.Name == "@openai")
            {
                return dir.EnumerateFiles("codex", SearchOption.AllDirectories).Where(f => f.Length > 1_000_000).Select(f => f.FullName).FirstOrDefault();
            }
        }

        return null;
    }

    /// <summary>The catalog JSON for <paramref name="models"/>, or null with the reason when the binary holds no usable template.</summary>
    public static string? Build(string binary, IEnumerable<string> models, out string? problem)
    {
        byte[] data = File.ReadAllBytes(binary);
        JsonObject? template = null;
        for (int start = data.AsSpan().IndexOf(s_catalogStart); start >= 0 && template is null;)
        {
            template = TryTemplate(data.AsSpan(start, Math.Min(4_000_000, data.Length - start)));
            int next = data.AsSpan(start + 1).IndexOf(s_catalogStart);
            start = next < 0 ? -1 : start + 1 + next;
        }

        if (template is null)
        {
            problem = $"no built-in {TemplateSlug} model metadata found in {binary}";
            return null;
        }

        var entries = new JsonArray();
        foreach (string slug in models.Distinct(StringComparer.Ordinal))
        {
            var entry = (JsonObject)template.DeepClone();
            entry["slug"] = slug;
            entry["display_name"] = slug;
            entry["prefer_websockets"] = false; // godex serves POST /v1/responses
            entries.Add((JsonNode)entry);
        }

        problem = null;
        return new JsonObject { ["models"] = entries }.ToJsonString(SetupJson.Indented) + "\n";
    }

    private static JsonObject? TryTemplate(ReadOnlySpan<byte> candidate)
    {
        var reader = new Utf8JsonReader(candidate, new JsonReaderOptions { AllowTrailingCommas = false });
        try
        {
            using JsonDocument catalog = JsonDocument.ParseValue(ref reader);
            foreach (JsonElement model in catalog.RootElement.GetProperty("models").EnumerateArray())
            {
                if (model.TryGetProperty("slug", out JsonElement slug) && slug.ValueEquals(TemplateSlug))
                {
                    return JsonNode.Parse(model.GetRawText()) as JsonObject;
                }
            }
        }
        catch (JsonException)
        {
            // Not the catalog (the byte pattern also occurs elsewhere): try the next occurrence.
        }
        catch (KeyNotFoundException)
        {
        }

        return null;
    }
}
