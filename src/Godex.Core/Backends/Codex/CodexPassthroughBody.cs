using System.Runtime.InteropServices;
using System.Text.Json;
using Godex.Core.Buffers;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The Codex backend's body policy for a Responses client's own body (same-dialect passthrough): forwarded nearly
/// verbatim (<see cref="Rewrite"/>), so that fields godex does not model (client_metadata, encrypted reasoning, custom
/// tools, namespaces...) survive.
/// </summary>
internal static class CodexPassthroughBody
{
    /// <summary>Client headers that identify a Codex CLI session; forwarded (validated) as they came.</summary>
    public static IReadOnlyList<string> ForwardedHeaders { get; } =
        ["session-id", "thread-id", "x-client-request-id", "x-codex-turn-metadata", "x-codex-window-id", "x-codex-beta-features"];

    // Fields the backend rejects ("Unsupported parameter") or that godex itself has handled.
    private static readonly HashSet<string> s_dropped = new(StringComparer.Ordinal)
    {
        "max_output_tokens", "max_completion_tokens", "temperature", "top_p", "previous_response_id", "truncation", "user",
        "metadata", "prompt_cache_retention", "prompt_cache_options", "safety_identifier", "stream_options", "generate",
        "background", "conversation",
    };

    /// <summary>
    /// The raw JSON of what starts a conversation (its instructions and its input up to the first user message), for
    /// its session key: every later turn repeats it.
    /// </summary>
    public static byte[] ConversationStart(JsonElement body)
    {
        var start = new List<byte>();
        if (body.TryGetProperty("instructions", out JsonElement instructions) && instructions.ValueKind == JsonValueKind.String)
        {
            start.AddRange(System.Text.Encoding.UTF8.GetBytes(instructions.GetRawText()));
        }

        if (body.TryGetProperty("input", out JsonElement input) && input.ValueKind != JsonValueKind.Array)
        {
            start.AddRange(System.Text.Encoding.UTF8.GetBytes(input.GetRawText()));
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in input.EnumerateArray())
            {
                start.AddRange(System.Text.Encoding.UTF8.GetBytes(item.GetRawText()));
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("role", out JsonElement role) && role.ValueEquals("user"))
                {
                    break;
                }
            }
        }

        return [.. start];
    }

    /// <summary>
    /// The body the Codex backend accepts, from a Responses API body: every field kept byte for byte except
    /// <c>model</c> (the routed id), <c>store</c> (false), <c>stream</c> (true), <c>include</c> (gains
    /// <c>reasoning.encrypted_content</c>), <c>instructions</c> (required: "" when developer or system messages carry
    /// them, else <paramref name="defaultInstructions"/>), a string <c>input</c> (becomes one user message), and the
    /// fields the backend rejects, which are dropped (<c>service_tier</c> survives only as <c>priority</c>).
    /// </summary>
    public static byte[] Rewrite(JsonElement body, string model, string defaultInstructions)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            bool hasInstructions = false;
            bool hasInclude = false;
            bool hasSystemMessage = false;
            foreach (JsonProperty property in body.EnumerateObject())
            {
                string name = property.Name;
                JsonElement value = property.Value;
                if (s_dropped.Contains(name) || name is "model" or "store" or "stream")
                {
                    continue;
                }

                switch (name)
                {
                    case "service_tier":
                        if (value.ValueKind == JsonValueKind.String && value.ValueEquals("priority"))
                        {
                            WriteVerbatim(writer, property);
                        }

                        continue;
                    case "instructions":
                        if (value.ValueKind == JsonValueKind.String)
                        {
                            hasInstructions = true;
                            WriteVerbatim(writer, property);
                        }

                        continue;
                    case "include":
                        hasInclude = true;
                        WriteInclude(writer, value);
                        continue;
                    case "input":
                        hasSystemMessage = HasSystemMessage(value);
                        WriteInput(writer, value);
                        continue;
                    default:
                        WriteVerbatim(writer, property);
                        continue;
                }
            }

            writer.WriteString("model", model);
            writer.WriteBoolean("store", false);
            writer.WriteBoolean("stream", true);
            if (!hasInclude)
            {
                WriteInclude(writer, default);
            }

            if (!hasInstructions)
            {
                writer.WriteString("instructions", hasSystemMessage ? string.Empty : defaultInstructions);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteVerbatim(Utf8JsonWriter writer, JsonProperty property)
    {
        writer.WritePropertyName(property.Name);
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
    }

    private static void WriteInclude(Utf8JsonWriter writer, JsonElement include)
    {
        writer.WriteStartArray("include");
        bool present = false;
        if (include.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in include.EnumerateArray())
            {
                present |= entry.ValueKind == JsonValueKind.String && entry.ValueEquals("reasoning.encrypted_content");
                entry.WriteTo(writer);
            }
        }

        if (!present)
        {
            writer.WriteStringValue("reasoning.encrypted_content");
        }

        writer.WriteEndArray();
    }

    private static void WriteInput(Utf8JsonWriter writer, JsonElement input)
    {
        writer.WritePropertyName("input");
        if (input.ValueKind != JsonValueKind.String)
        {
            // Byte for byte: echoed reasoning (encrypted_content) and tool calls must reach the backend as they left it.
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(input), skipInputValidation: true);
            return;
        }

        // The backend takes only a list.
        writer.WriteStartArray();
        writer.WriteStartObject();
        writer.WriteString("type", "message");
        writer.WriteString("role", "user");
        writer.WriteStartArray("content");
        writer.WriteStartObject();
        writer.WriteString("type", "input_text");
        writer.WriteString("text", input.GetString());
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private static bool HasSystemMessage(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (JsonElement item in input.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("role", out JsonElement role)
                && (role.ValueEquals("developer") || role.ValueEquals("system")))
            {
                return true;
            }
        }

        return false;
    }
}
