using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// <c>POST /oauth/token</c>: a token endpoint in the shape both vendors use (JSON body; form bodies are accepted
/// too). Grants <c>refresh_token</c> and <c>authorization_code</c>; each call mints new, numbered tokens so a test
/// can tell a refreshed token from the old one, and <see cref="SimulatorState.CallCount"/> says how often it ran.
/// </summary>
internal static class OAuthSimulatorEndpoint
{
    public const string Path = "/oauth/token";

    public const int ExpiresInSeconds = 3600;

    public static async Task HandleAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(Path);
        (string grantType, string refreshToken, string code) = await ReadGrantAsync(context);
        string? error = grantType switch
        {
            "" => "invalid_request",
            "refresh_token" when refreshToken.Length == 0 => "invalid_grant",
            "authorization_code" when code.Length == 0 => "invalid_grant",
            "refresh_token" or "authorization_code" => null,
            _ => "unsupported_grant_type",
        };
        if (error is not null)
        {
            await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status400BadRequest, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("error", error);
                writer.WriteString("error_description", "Simulated token endpoint rejected the grant.");
                writer.WriteEndObject();
            });
            return;
        }

        string suffix = state.NextId(string.Empty, 24);
        long expiresAt = state.UnixNow + ExpiresInSeconds;
        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("access_token", "sim-access-" + suffix);
            writer.WriteString("refresh_token", "sim-refresh-" + suffix);
            writer.WriteString("id_token", IdToken(expiresAt));
            writer.WriteNumber("expires_in", ExpiresInSeconds);
            writer.WriteString("token_type", "Bearer");
            writer.WriteEndObject();
        });
    }

    private static async Task<(string GrantType, string RefreshToken, string Code)> ReadGrantAsync(HttpContext context)
    {
        if (context.Request.HasFormContentType)
        {
            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
            return (form["grant_type"].ToString(), form["refresh_token"].ToString(), form["code"].ToString());
        }

        (JsonDocument? document, _) = await SimulatorHttp.ReadJsonAsync(context);
        using (document)
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (string.Empty, string.Empty, string.Empty);
            }

            JsonElement body = document.RootElement;
            return (Get(body, "grant_type"), Get(body, "refresh_token"), Get(body, "code"));
        }
    }

    private static string Get(JsonElement body, string name) =>
        body.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;

    // An unsigned JWT with the claims Codex reads (account id, plan, email); nobody verifies the signature locally.
    private static string IdToken(long expiresAt)
    {
        var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", "https://auth.godex-simulator.invalid");
            writer.WriteString("sub", "sim-user");
            writer.WriteString("email", "simulator@godex.invalid");
            writer.WriteNumber("exp", expiresAt);
            writer.WriteStartObject("https://api.openai.com/auth");
            writer.WriteString("chatgpt_account_id", "sim-account");
            writer.WriteString("chatgpt_plan_type", "pro");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8) + "." + Base64Url.EncodeToString(payload.ToArray()) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes("godex-simulator"));
    }
}
