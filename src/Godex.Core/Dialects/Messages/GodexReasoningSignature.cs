using System.Diagnostics.CodeAnalysis;
using System.Text;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Messages;

/// <summary>
/// The <c>signature</c> godex gives a thinking block whose reasoning came from a non-Anthropic backend, so that a
/// Messages client (Claude Code) echoes it back and the next turn can return the reasoning to that backend.
/// <para>Format: <c>godex1:</c> + base64(UTF-8 of <c>itemId + "\n" + encryptedContent</c>); the item id may be empty.
/// A block carrying it parses back to a <see cref="ReasoningPart"/> with <see cref="ReasoningPart.EncryptedContent"/>
/// and no <see cref="ReasoningPart.Signature"/>, which the Anthropic provider drops cleanly (only real signatures
/// reach Anthropic) and the Codex provider sends as <c>encrypted_content</c>.</para>
/// </summary>
internal static class GodexReasoningSignature
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
}
