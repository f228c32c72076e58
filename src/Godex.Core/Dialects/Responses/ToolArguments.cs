using System.Text.Json;

namespace Godex.Core.Dialects.Responses;

/// <summary>Tool-argument hygiene for function calls (reference/godex-original.md §4.6).</summary>
internal static class ToolArguments
{
    /// <summary>
    /// Returns <paramref name="arguments"/> unchanged when it is one JSON value (or not JSON at all: the client then
    /// sees what the model produced). A sequence of values such as <c>{}{"command":"ls"}</c>, which models emit now
    /// and then, becomes its last value.
    /// </summary>
    public static string Normalize(string arguments)
    {
        if (arguments.Length == 0)
        {
            return "{}";
        }

        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(arguments);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        int values = 0;
        long lastStart = 0;
        long lastEnd = 0;
        try
        {
            while (reader.Read())
            {
                long start = reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }

                values++;
                lastStart = start;
                lastEnd = reader.BytesConsumed;
            }
        }
        catch (JsonException)
        {
            return arguments;
        }

        return values <= 1 ? arguments : System.Text.Encoding.UTF8.GetString(utf8.AsSpan((int)lastStart, (int)(lastEnd - lastStart)));
    }
}
