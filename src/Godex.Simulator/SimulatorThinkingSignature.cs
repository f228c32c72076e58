using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Godex.Simulator;

/// <summary>
/// The simulator's stand-in for Anthropic's thinking signatures, with the property that matters: the signature covers
/// the thinking text, so a later turn whose thinking block was changed in any way (re-encoded, trimmed, reordered
/// escapes that alter the text) is rejected with the real API's 400. Signatures it did not make (captured from the
/// real API) are accepted unchecked.
/// </summary>
internal static class SimulatorThinkingSignature
{
    private const string Prefix = "godexsim1:";
    private static readonly byte[] s_key = Encoding.UTF8.GetBytes("godex simulator thinking signature key");

    public static string Sign(string thinking) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(s_key, Encoding.UTF8.GetBytes(thinking)))));

    /// <summary>
    /// The first thinking block in an assistant turn whose simulator signature does not match its text, as the real
    /// API's message (<c>messages.1.content.0: Invalid `signature` in `thinking` block</c>); null when all match.
    /// </summary>
    public static string? FindInvalid(JsonElement messages)
    {
        int m = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            if (message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.Array)
            {
                int c = 0;
                foreach (JsonElement block in content.EnumerateArray())
                {
                    if (block.TryGetProperty("type", out JsonElement type) && type.ValueEquals("thinking")
                        && block.TryGetProperty("signature", out JsonElement signature) && signature.GetString() is { } text
                        && IsOurs(text) && text != Sign(block.TryGetProperty("thinking", out JsonElement thinking) ? thinking.GetString() ?? "" : ""))
                    {
                        return $"messages.{m}.content.{c}: Invalid `signature` in `thinking` block";
                    }

                    c++;
                }
            }

            m++;
        }

        return null;
    }

    private static bool IsOurs(string signature)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(signature)).StartsWith(Prefix, StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
