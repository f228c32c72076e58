using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;

namespace Godex.Core.Exec;

/// <summary>
/// Parses the tool flags of <c>godex exec</c>: <c>--tool</c> specs, <c>--tool-choice</c> and <c>--tool-output</c>.
/// Every problem is a <see cref="ConfigException"/> whose one-line message names the flag and the value (exit 2).
/// </summary>
public static class ExecTools
{
    /// <summary>The hosted web search tool, in the dialect-neutral name every provider translates.</summary>
    public const string WebSearch = "web_search";

    /// <summary>
    /// One <c>--tool</c> spec: <c>web_search</c>, <c>NAME:json=PATH</c> (a JSON-schema file) or
    /// <c>NAME:inline=JSON</c>. Returns either a function tool or a hosted tool.
    /// </summary>
    public static (ChatTool? Function, HostedTool? Hosted) ParseSpec(string spec, Func<string, string> readFile)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(readFile);
        if (string.Equals(spec.Trim(), WebSearch, StringComparison.OrdinalIgnoreCase))
        {
            return (null, new HostedTool(WebSearch));
        }

        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string name = colon > 0 ? spec[..colon].Trim() : "";
        string rest = colon > 0 ? spec[(colon + 1)..] : "";
        if (name.Length == 0 || !IsToolName(name))
        {
            throw new ConfigException($"--tool '{spec}': expected web_search, NAME:json=PATH or NAME:inline=JSON (NAME: letters, digits, _ or -)");
        }

        string schemaText;
        string source;
        if (rest.StartsWith("json=", StringComparison.Ordinal) && rest.Length > 5)
        {
            string path = rest[5..];
            source = path;
            try
            {
                schemaText = readFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new ConfigException($"--tool {name}: cannot read schema file {path}: {ex.Message}", ex);
            }
        }
        else if (rest.StartsWith("inline=", StringComparison.Ordinal) && rest.Length > 7)
        {
            schemaText = rest[7..];
            source = "the inline schema";
        }
        else
        {
            throw new ConfigException($"--tool '{spec}': expected web_search, NAME:json=PATH or NAME:inline=JSON");
        }

        JsonElement schema;
        try
        {
            using JsonDocument document = JsonDocument.Parse(schemaText);
            schema = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"--tool {name}: {source} is not valid JSON: {ex.Message}", ex);
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigException($"--tool {name}: {source} must be a JSON object (a JSON schema)");
        }

        // Wire v0: tools are passed with strict=false, the schema verbatim (the original's HEAD forced strict:true).
        return (new ChatTool(name) { Parameters = schema, Strict = false }, null);
    }

    /// <summary><c>auto</c>, <c>required</c>, <c>none</c> or <c>function:NAME</c> (NAME must be one of the function tools).</summary>
    public static ToolChoice ParseChoice(string text, IReadOnlyCollection<ChatTool> tools)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tools);
        switch (text.Trim().ToLowerInvariant())
        {
            case "auto":
                return ToolChoice.Auto;
            case "required":
                return ToolChoice.Required;
            case "none":
                return ToolChoice.None;
        }

        if (text.StartsWith("function:", StringComparison.OrdinalIgnoreCase))
        {
            string name = text["function:".Length..].Trim();
            if (!tools.Any(t => t.Name == name))
            {
                throw new ConfigException($"--tool-choice '{text}': no --tool named '{name}'");
            }

            return new ToolChoice(ToolChoiceMode.Named, name);
        }

        throw new ConfigException($"--tool-choice '{text}': expected auto, required, none or function:NAME");
    }

    /// <summary><c>--tool-output NAME=VALUE</c> (repeatable); the value <c>$args</c> echoes the call's arguments.</summary>
    public static IReadOnlyDictionary<string, string> ParseOutputs(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string spec in specs)
        {
            int equals = spec.IndexOf('=', StringComparison.Ordinal);
            string name = equals > 0 ? spec[..equals].Trim() : "";
            if (name.Length == 0 || !IsToolName(name))
            {
                throw new ConfigException($"--tool-output '{spec}': expected NAME=VALUE (VALUE may be $args to echo the call's arguments)");
            }

            outputs[name] = spec[(equals + 1)..];
        }

        return outputs;
    }

    private static bool IsToolName(string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
