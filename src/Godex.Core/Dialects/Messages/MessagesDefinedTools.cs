using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// Anthropic-defined tools (<c>{"type":"bash_20250124","name":"bash"}</c>: versioned, schema-less in the request) as
/// other backends can serve them. Claude Code and SDK users send them; Anthropic itself gets them byte for byte
/// (passthrough), so this only matters when the model is not Claude.
/// <list type="bullet">
/// <item><c>bash_*</c> and <c>text_editor_*</c> are client-executed: they become function tools with the input schema
/// Anthropic documents, under the client's tool name, so the model's calls come back as the same <c>tool_use</c> the
/// client already knows how to run.</item>
/// <item><c>web_search_*</c> becomes the backend's hosted web search.</item>
/// <item>The rest (<c>computer_*</c>, <c>code_execution_*</c>, <c>web_fetch_*</c>, <c>memory_*</c>, ...) run on Anthropic's
/// side or need its computer-use loop: no other backend can serve them, and the request is refused naming the type.</item>
/// </list>
/// </summary>
internal static class MessagesDefinedTools
{
    private const string BashDescription =
        "Run commands in a bash shell. State persists between calls. Use `restart` to start a fresh shell.";

    private const string TextEditorDescription =
        "View, create and edit text files. `view` shows a file with line numbers (or lists a directory), `create` writes "
        + "a new file, `str_replace` replaces one exact occurrence of `old_str` with `new_str`, `insert` adds `new_str` "
        + "after line `insert_line` (0 = the top)";

    private static readonly JsonElement s_bashSchema = Parse("""
        {"type":"object","properties":{
          "command":{"type":"string","description":"The bash command to run. Required unless the tool is being restarted."},
          "restart":{"type":"boolean","description":"Specifying true will restart this tool. Otherwise, leave this unspecified."}}}
        """);

    private static readonly JsonElement s_editorSchemaWithUndo = EditorSchema("\"view\",\"create\",\"str_replace\",\"insert\",\"undo_edit\"");
    private static readonly JsonElement s_editorSchema = EditorSchema("\"view\",\"create\",\"str_replace\",\"insert\"");

    /// <summary>What an Anthropic-defined tool becomes outside Anthropic.</summary>
    public static DefinedTool Translate(string type, string name)
    {
        if (type.StartsWith("bash_", StringComparison.Ordinal))
        {
            return new DefinedTool(new ChatTool(name) { Description = BashDescription, Parameters = s_bashSchema }, null);
        }

        if (type.StartsWith("text_editor_", StringComparison.Ordinal))
        {
            // undo_edit exists up to text_editor_20250124; the Claude 4 versions (20250429, 20250728) dropped it.
            bool undo = string.CompareOrdinal(type, "text_editor_20250429") < 0;
            string description = TextEditorDescription + (undo ? ", `undo_edit` reverts the last edit of a file." : ".");
            return new DefinedTool(new ChatTool(name) { Description = description, Parameters = undo ? s_editorSchemaWithUndo : s_editorSchema }, null);
        }

        if (type.StartsWith("web_search_", StringComparison.Ordinal))
        {
            return new DefinedTool(null, new HostedTool("web_search"));
        }

        return new DefinedTool(null, null);
    }

    private static JsonElement EditorSchema(string commands) => Parse("""
        {"type":"object","required":["command","path"],"properties":{
          "command":{"type":"string","enum":[COMMANDS],"description":"The command to run."},
          "path":{"type":"string","description":"Absolute path to the file or directory."},
          "file_text":{"type":"string","description":"For create: the content of the new file."},
          "old_str":{"type":"string","description":"For str_replace: the exact text to replace (must match once)."},
          "new_str":{"type":"string","description":"For str_replace: the replacement. For insert: the text to insert."},
          "insert_line":{"type":"integer","description":"For insert: the line after which to insert (0 = the top)."},
          "view_range":{"type":"array","items":{"type":"integer"},"description":"For view: [start, end] lines, 1-based; end -1 = to the end."}}}
        """.Replace("COMMANDS", commands, StringComparison.Ordinal));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <summary>An Anthropic-defined tool outside Anthropic: a function tool, a hosted tool, or (both null) not servable.</summary>
internal readonly record struct DefinedTool(ChatTool? Function, HostedTool? Hosted);
