using System.Text.Json;

namespace Godex.Simulator;

/// <summary>Walks the subschemas of a JSON schema, for the structured-output rules of both simulated APIs.</summary>
internal static class JsonSchemaWalk
{
    private static readonly string[] s_maps = ["properties", "$defs", "definitions", "patternProperties"];
    private static readonly string[] s_lists = ["anyOf", "allOf", "oneOf", "prefixItems"];

    /// <summary>A schema that describes an object: <c>type</c> object (alone or in a list), or <c>properties</c>.</summary>
    public static bool IsObjectSchema(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (schema.TryGetProperty("type", out JsonElement type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                return type.ValueEquals("object");
            }

            if (type.ValueKind == JsonValueKind.Array)
            {
                return type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.ValueEquals("object"));
            }
        }

        return schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object;
    }

    /// <summary>
    /// Each direct subschema with the path segments that lead to it (<c>properties</c>, name), (<c>items</c>),
    /// (<c>anyOf</c>, 0)..., in document order.
    /// </summary>
    public static IEnumerable<(object[] Path, JsonElement Schema)> Children(JsonElement schema)
    {
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            JsonElement value = property.Value;
            if (s_maps.Contains(property.Name) && value.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty child in value.EnumerateObject())
                {
                    yield return ([property.Name, child.Name], child.Value);
                }
            }
            else if (s_lists.Contains(property.Name) && value.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (JsonElement child in value.EnumerateArray())
                {
                    yield return ([property.Name, index], child);
                    index++;
                }
            }
            else if (property.Name is "items" or "additionalProperties" or "not" && value.ValueKind == JsonValueKind.Object)
            {
                yield return ([property.Name], value);
            }
        }
    }
}
