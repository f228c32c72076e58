using System.Text.Json;

namespace Godex.Core.Json;

/// <summary>
/// The two structured-output dialects disagree on schemas: Anthropic wants every object closed
/// (<c>additionalProperties: false</c>) but allows optional properties; OpenAI's strict mode wants every object closed
/// and every property required, and without strict mode takes any schema as guidance only. These helpers bridge them.
/// </summary>
internal static class StructuredOutputSchema
{
    private static readonly string[] s_schemaMaps = ["properties", "$defs", "definitions", "patternProperties"];
    private static readonly string[] s_schemaLists = ["anyOf", "allOf", "oneOf", "prefixItems"];

    /// <summary>
    /// True when the schema meets OpenAI's strict-mode rules (every object closed, every property required), so that a
    /// client that asked Anthropic for guaranteed structure gets the same guarantee from OpenAI.
    /// </summary>
    public static bool IsStrict(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        if (IsObject(schema))
        {
            if (!schema.TryGetProperty("additionalProperties", out JsonElement additional) || additional.ValueKind != JsonValueKind.False)
            {
                return false;
            }

            if (schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
            {
                var required = new HashSet<string>(StringComparer.Ordinal);
                if (schema.TryGetProperty("required", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement name in list.EnumerateArray())
                    {
                        required.Add(name.GetString() ?? "");
                    }
                }

                if (properties.EnumerateObject().Any(p => !required.Contains(p.Name)))
                {
                    return false;
                }
            }
        }

        foreach (JsonProperty property in schema.EnumerateObject())
        {
            bool ok = property.Value.ValueKind switch
            {
                JsonValueKind.Object when s_schemaMaps.Contains(property.Name) => property.Value.EnumerateObject().All(p => IsStrict(p.Value)),
                JsonValueKind.Array when s_schemaLists.Contains(property.Name) => property.Value.EnumerateArray().All(IsStrict),
                JsonValueKind.Object when property.Name is "items" or "not" => IsStrict(property.Value),
                _ => true,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes <paramref name="schema"/> with every object schema closed: <c>additionalProperties</c> becomes
    /// <c>false</c> where it is missing or allows more (Anthropic refuses anything else). The rest is copied verbatim.
    /// </summary>
    public static void WriteClosed(Utf8JsonWriter writer, JsonElement schema)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            schema.WriteTo(writer);
            return;
        }

        bool isObject = IsObject(schema);
        writer.WriteStartObject();
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            JsonElement value = property.Value;
            if (isObject && property.NameEquals("additionalProperties"))
            {
                continue;
            }

            writer.WritePropertyName(property.Name);
            if (value.ValueKind == JsonValueKind.Object && s_schemaMaps.Contains(property.Name))
            {
                writer.WriteStartObject();
                foreach (JsonProperty child in value.EnumerateObject())
                {
                    writer.WritePropertyName(child.Name);
                    WriteClosed(writer, child.Value);
                }

                writer.WriteEndObject();
            }
            else if (value.ValueKind == JsonValueKind.Array && s_schemaLists.Contains(property.Name))
            {
                writer.WriteStartArray();
                foreach (JsonElement child in value.EnumerateArray())
                {
                    WriteClosed(writer, child);
                }

                writer.WriteEndArray();
            }
            else if (property.Name is "items" or "not")
            {
                WriteClosed(writer, value);
            }
            else
            {
                value.WriteTo(writer);
            }
        }

        if (isObject)
        {
            writer.WriteBoolean("additionalProperties", false);
        }

        writer.WriteEndObject();
    }

    private static bool IsObject(JsonElement schema)
    {
        if (schema.TryGetProperty("type", out JsonElement type))
        {
            return type.ValueKind == JsonValueKind.String
                ? type.ValueEquals("object")
                : type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.ValueEquals("object"));
        }

        return schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object;
    }
}
