using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects;

/// <summary>The <c>parameters</c> and <c>strict</c> of a function tool, as OpenAI's Chat Completions and Responses APIs both take them.</summary>
internal static class FunctionToolSchema
{
    /// <summary>
    /// The client's schema, verbatim (rewriting it, the original's strict normalisation, changed tool semantics), or
    /// an empty object schema when the tool has none; then <c>strict</c> when the client gave it.
    /// </summary>
    public static void WriteParameters(Utf8JsonWriter writer, ChatTool tool)
    {
        writer.WritePropertyName("parameters");
        if (tool.Parameters is { ValueKind: JsonValueKind.Object } parameters)
        {
            parameters.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteString("type", "object");
            writer.WriteStartObject("properties");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        if (tool.Strict is bool strict)
        {
            writer.WriteBoolean("strict", strict);
        }
    }
}
