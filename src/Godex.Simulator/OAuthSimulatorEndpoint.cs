using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// The vendors' OAuth endpoints, enough for a real login (PKCE, gateways.md §2.1 and §2.3):
/// <list type="bullet">
/// <item><c>GET /oauth/authorize</c>: the user "approves" at once; a loopback <c>redirect_uri</c> gets a 302 with
/// <c>code</c> and <c>state</c>, any other (the vendors' paste-the-code pages) a page showing <c>code#state</c>.</item>
/// <item><c>POST /oauth/token</c>: JSON or form bodies. Grants <c>refresh_token</c> and <c>authorization_code</c> (the
/// code is single use and its <c>code_verifier</c> must match the S256 challenge given to authorize); each call mints
/// new, numbered tokens so a test can tell a refreshed token from the old one, and
/// <see cref="SimulatorState.CallCount"/> says how often it ran.</item>
/// </list>
/// </summary>
internal static class OAuthSimulatorEndpoint
{
    public const string Path = "/oauth/token";
    public const string AuthorizePath = "/oauth/authorize";

    public static async Task HandleAuthorizeAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(AuthorizePath);
        IQueryCollection query = context.Request.Query;
        string redirect = query["redirect_uri"].ToString();
        string challenge = query["code_challenge"].ToString();
        if (query["response_type"] != "code" || query["client_id"].ToString().Length == 0 || redirect.Length == 0
            || challenge.Length == 0 || query["code_challenge_method"] != "S256")
        {
            await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status400BadRequest, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("error", "invalid_request");
                writer.WriteString("error_description", "response_type=code, client_id, redirect_uri and an S256 code_challenge are required.");
                writer.WriteEndObject();
            });
            return;
        }

        string code = "sim-code-" + state.NextId(string.Empty, 24);
        state.AddAuthorizationCode(code, challenge);
        string returnState = query["state"].ToString();
        if (Uri.TryCreate(redirect, UriKind.Absolute, out Uri? target) && target.IsLoopback)
        {
            string separator = redirect.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            context.Response.Redirect(redirect + separator + "code=" + Uri.EscapeDataString(code) + "&state=" + Uri.EscapeDataString(returnState));
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("Paste this code into your terminal: " + code + "#" + returnState + "\n", context.RequestAborted);
    }

    public const int ExpiresInSeconds = 3600;

    public static async Task HandleAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(Path);
        (string grantType, string refreshToken, string code, string verifier) = await ReadGrantAsync(context);
        string? error = grantType switch
        {
            "" => "invalid_request",
            "refresh_token" when refreshToken.Length == 0 => "invalid_grant",
            "authorization_code" when code.Length == 0 => "invalid_grant",
            "authorization_code" when !state.RedeemAuthorizationCode(code, verifier) => "invalid_grant",
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

    private static async Task<(string GrantType, string RefreshToken, string Code, string Verifier)> ReadGrantAsync(HttpContext context)
    {
        if (context.Request.HasFormContentType)
        {
            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
            return (form["grant_type"].ToString(), form["refresh_token"].ToString(), form["code"].ToString(), form["code_verifier"].ToString());
        }

        (JsonDocument? document, _) = await SimulatorHttp.ReadJsonAsync(context);
        using (document)
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (string.Empty, string.Empty, string.Empty, string.Empty);
            }

            JsonElement body = document.RootElement;
            return (Get(body, "grant_type"), Get(body, "refresh_token"), Get(body, "code"), Get(body, "code_verifier"));
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
