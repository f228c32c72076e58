using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// A refusal written in a provider's own error shape, for <see cref="PreambleGuard"/>: the provider's profile then reads
/// it back as it reads every refusal of that upstream.
/// </summary>
internal static class RefusalBodies
{
    /// <summary><c>{"error":{"message","type","code"}}</c>: the Codex backend and OpenAI-compatible providers.</summary>
    public static byte[] OpenAI(BackendError error) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteString("message"u8, error.Message);
        w.WriteString("type"u8, error.Type);
        w.WriteString("code"u8, error.Code ?? error.Type);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary><c>{"type":"error","error":{"type","message"}}</c>: the Anthropic API.</summary>
    public static byte[] Anthropic(BackendError error) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "error"u8);
        w.WriteStartObject("error"u8);
        w.WriteString("type"u8, error.Code ?? error.Type);
        w.WriteString("message"u8, error.Message);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
