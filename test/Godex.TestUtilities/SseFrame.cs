using System.Text.Json;

namespace Godex.TestUtilities;

/// <summary>One parsed SSE frame: the <c>event:</c> name (null when absent) and the raw <c>data:</c> text.</summary>
public sealed record SseFrame(string? Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public static List<SseFrame> Parse(string text)
    {
        var frames = new List<SseFrame>();
        foreach (string block in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (string line in block.Split('\n'))
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data = line["data:".Length..].Trim();
                }
            }

            if (data is not null)
            {
                frames.Add(new SseFrame(name, data));
            }
        }

        return frames;
    }

    public static HashSet<string> FieldNames(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? [.. element.EnumerateObject().Select(p => p.Name)] : [];
}
