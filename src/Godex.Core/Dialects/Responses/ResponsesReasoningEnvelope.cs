using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// Carries reasoning that has no Responses <c>encrypted_content</c> of its own (Anthropic thinking with its signature,
/// redacted thinking) through a Responses client and back, so that a later turn to Anthropic restores the thinking
/// block byte for byte. Format: <c>godex.r1.</c> + base64url (no padding) of the UTF-8 JSON
/// <c>{"thinking":"...","signature":"..."}</c> or <c>{"redacted":"..."}</c>. The thinking text travels inside the
/// envelope because the signature covers it: a client that edits or drops the summary must not break the turn.
/// </summary>
internal static class ResponsesReasoningEnvelope
{
    public const string Prefix = "godex.r1.";

    /// <summary>The <c>encrypted_content</c> to render for <paramref name="reasoning"/>, or null when there is nothing opaque.</summary>
    public static string? Encode(ReasoningPart reasoning)
    {
        if (!string.IsNullOrEmpty(reasoning.EncryptedContent))
        {
            return reasoning.EncryptedContent;
        }

        if (string.IsNullOrEmpty(reasoning.Signature) && string.IsNullOrEmpty(reasoning.RedactedData))
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (!string.IsNullOrEmpty(reasoning.RedactedData))
            {
                writer.WriteString("redacted", reasoning.RedactedData);
            }
            else
            {
                writer.WriteString("thinking", reasoning.Text);
                writer.WriteString("signature", reasoning.Signature);
            }

            writer.WriteEndObject();
        }

        return Prefix + Base64Url.EncodeToString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Restores a reasoning part from a reasoning item's fields: a godex envelope becomes thinking + signature (or
    /// redacted data); anything else is the upstream's own encrypted content, kept verbatim.
    /// </summary>
    public static ReasoningPart Decode(string? encryptedContent, string summaryText, string? itemId)
    {
        if (encryptedContent is null || !encryptedContent.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return new ReasoningPart { Text = summaryText, EncryptedContent = encryptedContent, ItemId = itemId };
        }

        try
        {
            byte[] json = Base64Url.DecodeFromChars(encryptedContent.AsSpan(Prefix.Length));
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("redacted", out JsonElement redacted) && redacted.ValueKind == JsonValueKind.String)
            {
                return new ReasoningPart { RedactedData = redacted.GetString(), ItemId = itemId };
            }

            string thinking = root.TryGetProperty("thinking", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : summaryText;
            string? signature = root.TryGetProperty("signature", out JsonElement s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            return new ReasoningPart { Text = thinking, Signature = signature, ItemId = itemId };
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Damaged envelope: keep the visible text, lose the signature (the upstream then ignores the block).
            return new ReasoningPart { Text = summaryText, ItemId = itemId };
        }
    }
}
