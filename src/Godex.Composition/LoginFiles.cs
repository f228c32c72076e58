using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Backends.Codex;
using Godex.Core.Configuration;

namespace Godex.Composition;

/// <summary>
/// What a backend's login file says without using it: configured or not, mode, expiry, plan, whether it can refresh.
/// One reader for <c>godex auth status</c>, <c>godex doctor</c>, <c>godex accounts status</c> and the admin API's
/// accounts; it never returns a token.
/// </summary>
internal static class LoginFiles
{
    internal static LoginStatus ReadCodex(CodexBackendOptions options)
    {
        string path = CodexCredentialStore.ResolvePath(options);
        if (!File.Exists(path))
        {
            return new("Codex", false, path, null, null, null, false, "no login file; run `codex login` (or `godex auth setup`)");
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return new("Codex", false, path, null, null, null, false, "cannot read the login file: " + ex.Message);
        }

        if (root is null)
        {
            return new("Codex", false, path, null, null, null, false, "the login file is not a JSON object");
        }

        string? mode = Text(root["auth_mode"]);
        string? apiKey = Text(root["OPENAI_API_KEY"]);
        var tokens = root["tokens"] as JsonObject;
        string? access = Text(tokens?["access_token"]);
        string? refresh = Text(tokens?["refresh_token"]);
        if (string.Equals(mode, "api_key", StringComparison.OrdinalIgnoreCase) || (access is null && refresh is null && apiKey is not null))
        {
            return apiKey is null
                ? new("Codex", false, path, "API key", null, null, false, "auth_mode is api_key but OPENAI_API_KEY is empty")
                : new("Codex", true, path, "API key", null, null, false, null);
        }

        if (access is null)
        {
            return new("Codex", false, path, "ChatGPT login", null, null, refresh is not null, "no access token; run `codex login`");
        }

        JsonNode? idNode = tokens?["id_token"];
        string? idToken = idNode is JsonObject legacy ? Text(legacy["raw_jwt"]) : Text(idNode);
        string? plan = JwtClaims.NestedString(JwtClaims.TryReadPayload(idToken), "https://api.openai.com/auth", "chatgpt_plan_type");
        JsonObject? claims = JwtClaims.TryReadPayload(access);
        DateTimeOffset? issued = claims?["iat"] is JsonValue iat && iat.TryGetValue(out long iatSeconds) ? DateTimeOffset.FromUnixTimeSeconds(iatSeconds) : null;
        return new("Codex", true, path, "ChatGPT login", JwtClaims.ExpiresAt(claims), plan, refresh is not null, null) { IssuedAt = issued };
    }

    internal static LoginStatus ReadAnthropic(AnthropicBackendOptions options)
    {
        string path = ClaudeCredentialStore.ResolvePath(options);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return new("Anthropic", true, "(config: proxy.backends.anthropic.api_key)", "API key", null, null, false, null);
        }

        if (!string.IsNullOrEmpty(options.ApiKeyEnv) && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(options.ApiKeyEnv)))
        {
            return new("Anthropic", true, "$" + options.ApiKeyEnv, "API key", null, null, false, null);
        }

        if (!File.Exists(path))
        {
            return new("Anthropic", false, path, null, null, null, false, "no Claude Code login; run `claude` and log in (or `godex auth setup`), or set $ANTHROPIC_API_KEY");
        }

        JsonObject? oauth;
        try
        {
            oauth = (JsonNode.Parse(File.ReadAllText(path)) as JsonObject)?["claudeAiOauth"] as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return new("Anthropic", false, path, null, null, null, false, "cannot read the credentials file: " + ex.Message);
        }

        string? access = Text(oauth?["accessToken"]);
        if (access is null)
        {
            return new("Anthropic", false, path, "Claude login", null, null, false, "no claudeAiOauth.accessToken; run `claude` and log in");
        }

        DateTimeOffset? expires = oauth?["expiresAt"] is JsonValue value && value.TryGetValue(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return new("Anthropic", true, path, "Claude login", expires, Text(oauth?["subscriptionType"]), Text(oauth?["refreshToken"]) is not null, null);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) && !string.IsNullOrWhiteSpace(text) ? text : null;
}
