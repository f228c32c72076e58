using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Godex.Core.Auth;

/// <summary>
/// Reads the payload of a JWT without checking its signature. godex only uses the claims as hints (expiry, account
/// id, plan) for tokens it received from the vendor; the upstream verifies them.
/// </summary>
internal static class JwtClaims
{
    /// <summary>The decoded payload object, or null when <paramref name="token"/> is not a JWT.</summary>
    public static JsonObject? TryReadPayload(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        string[] segments = token.Split('.');
        if (segments.Length != 3 || segments[1].Length == 0)
        {
            return null;
        }

        try
        {
            byte[] payload = Base64Url.DecodeFromChars(segments[1]);
            return JsonNode.Parse(payload) as JsonObject;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The <c>exp</c> claim as an instant, when present.</summary>
    public static DateTimeOffset? ExpiresAt(JsonObject? payload) =>
        payload?["exp"] is JsonValue exp && exp.TryGetValue(out long seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : payload?["exp"] is JsonValue expDouble && expDouble.TryGetValue(out double fractional)
                ? DateTimeOffset.FromUnixTimeMilliseconds((long)(fractional * 1000))
                : null;

    /// <summary>A string claim inside a namespaced claim object (<c>https://api.openai.com/auth</c> → <c>chatgpt_account_id</c>).</summary>
    public static string? NestedString(JsonObject? payload, string claim, string name) =>
        payload?[claim] is JsonObject nested && nested[name] is JsonValue value && value.TryGetValue(out string? text) && text.Length > 0
            ? text
            : null;
}
