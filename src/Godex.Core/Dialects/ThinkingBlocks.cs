using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects;

/// <summary>
/// Thinking blocks, the shape two dialects share: Anthropic Messages' <c>thinking</c>/<c>redacted_thinking</c> content
/// blocks, and the <c>thinking_blocks</c> entries Chat Completions clients carry for Claude models (the convention other
/// gateways use). Their <c>signature</c> is Anthropic's own, or one godex gives a block whose reasoning came from a
/// non-Anthropic backend, so that the client echoes it back and the next turn can return the reasoning to that backend.
/// <para>Format: <c>godex1:</c> + base64(UTF-8 of <c>itemId + "\n" + encryptedContent</c>); the item id may be empty.
/// A block carrying it parses back to a <see cref="ReasoningPart"/> with <see cref="ReasoningPart.EncryptedContent"/>
/// and no <see cref="ReasoningPart.Signature"/>, which the Anthropic provider drops cleanly (only real signatures
/// reach Anthropic) and the Codex provider sends as <c>encrypted_content</c>.</para>
/// </summary>
internal static class ThinkingBlocks
{
    public const string Prefix = "godex1:";

    public static string Encode(string? itemId, string encryptedContent) =>
        Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes((itemId ?? "") + "\n" + encryptedContent));

    /// <summary>
    /// A thinking block a client sent back: a godex envelope becomes the reasoning it carries for a non-Anthropic
    /// backend (encrypted content), any other signature is Anthropic's and is kept verbatim.
    /// </summary>
    public static ReasoningPart ToReasoningPart(string thinking, string? signature) =>
        signature is not null && TryDecode(signature, out string? itemId, out string? encrypted)
            ? new ReasoningPart { Text = thinking, EncryptedContent = encrypted, ItemId = itemId }
            : new ReasoningPart { Text = thinking, Signature = string.IsNullOrEmpty(signature) ? null : signature };

    public static bool TryDecode(string signature, out string? itemId, [NotNullWhen(true)] out string? encryptedContent)
    {
        itemId = null;
        encryptedContent = null;
        if (!signature.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string payload;
        try
        {
            payload = Encoding.UTF8.GetString(Convert.FromBase64String(signature[Prefix.Length..]));
        }
        catch (FormatException)
        {
            return false;
        }

        int newline = payload.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0 || newline == payload.Length - 1)
        {
            return false;
        }

        itemId = newline == 0 ? null : payload[..newline];
        encryptedContent = payload[(newline + 1)..];
        return true;
    }

    /// <summary>
    /// The signature a client gets for reasoning: Anthropic's own, else a godex envelope around OpenAI encrypted
    /// content (<see cref="Encode"/>), else none.
    /// </summary>
    public static string? Signature(ReasoningPart reasoning)
    {
        ArgumentNullException.ThrowIfNull(reasoning);
        if (!string.IsNullOrEmpty(reasoning.Signature))
        {
            return reasoning.Signature;
        }

        return string.IsNullOrEmpty(reasoning.EncryptedContent) ? null : Encode(reasoning.ItemId, reasoning.EncryptedContent);
    }

    /// <summary>A <c>thinking</c> (or <c>redacted_thinking</c>) block.</summary>
    public static void Write(Utf8JsonWriter writer, ReasoningPart reasoning)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reasoning);
        string? signature = Signature(reasoning);
        if (signature is null && !string.IsNullOrEmpty(reasoning.RedactedData))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "redacted_thinking"u8);
            writer.WriteString("data"u8, reasoning.RedactedData);
            writer.WriteEndObject();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type"u8, "thinking"u8);
        writer.WriteString("thinking"u8, reasoning.Text);
        writer.WriteString("signature"u8, signature ?? "");
        writer.WriteEndObject();
    }
}
