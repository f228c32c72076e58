using System.Text;

namespace Godex.Core.Exec;

/// <summary>
/// <c>--mock --mock-mode</c>: synthetic streams with no credentials and no network (reference §5.3, byte for byte).
/// </summary>
public static class MockScript
{
    public const string ResponseId = "mock-response";

    /// <summary>Echo chunks are at most this many UTF-8 bytes, cut on character boundaries.</summary>
    public const int EchoChunkBytes = 800;

    public static readonly IReadOnlyList<string> Modes = ["echo", "text", "tool-call", "tool-loop"];

    /// <summary>Writes the mode's events; <paramref name="protocolRequest"/> is what <c>echo</c> echoes.</summary>
    public static void Write(string mode, byte[] protocolRequest, WireEventWriter writer)
    {
        ArgumentNullException.ThrowIfNull(protocolRequest);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteCreated(ResponseId, model: null);
        switch (mode)
        {
            case "text":
                WriteDelta(writer, "mock response text");
                break;
            case "tool-call":
                WriteCall(writer);
                break;
            case "tool-loop":
                WriteCall(writer);
                WriteDelta(writer, "mock tool result: ok");
                break;
            default:
                foreach (string chunk in Chunks(protocolRequest, EchoChunkBytes))
                {
                    WriteDelta(writer, chunk);
                }

                break;
        }

        writer.WriteCompleted(usage: null);
    }

    /// <summary>Splits UTF-8 bytes into chunks of at most <paramref name="size"/> bytes, never inside a character.</summary>
    public static IEnumerable<string> Chunks(byte[] utf8, int size)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        int start = 0;
        while (start < utf8.Length)
        {
            int end = Math.Min(start + size, utf8.Length);
            while (end < utf8.Length && end > start + 1 && (utf8[end] & 0xC0) == 0x80)
            {
                end--;
            }

            yield return Encoding.UTF8.GetString(utf8, start, end - start);
            start = end;
        }
    }

    // The mock's deltas carry no content_part.added: §5.3 lists exactly these events.
    private static void WriteDelta(WireEventWriter writer, string delta) => writer.WriteRawTextDelta(delta);

    private static void WriteCall(WireEventWriter writer)
    {
        const string Arguments = "{\"value\":42}";
        writer.WriteToolCallAdded("fc_mock", "call_mock", "mock_tool");
        writer.WriteArgumentsDelta("fc_mock", Arguments);
        writer.WriteToolCallDone("fc_mock", "call_mock", "mock_tool", Arguments);
    }
}
