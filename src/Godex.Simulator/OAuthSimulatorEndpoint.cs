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
/// <item><c>POST /oauth/token</c>: JSON or form bodies. Grants <c>refresh_token</c> and <c>authorization_code</c>, the
/// latter as strict as RFC 6749 §4.1.3 and RFC 7636 §4.6 (what a real server checks of what godex sends): the code is
/// single use, and <c>client_id</c>, <c>redirect_uri</c> must be the ones given to authorize and <c>code_verifier</c>
/// must hash (S256) to its <c>code_challenge</c>. Each call mints new, numbered tokens so a test can tell a refreshed
/// token from the old one, and <see cref="SimulatorState.CallCount"/> says how often it ran.</item>
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
        state.AddAuthorizationCode(code, new SimulatorAuthorizationCode(challenge, redirect, query["client_id"].ToString()));
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
        Dictionary<string, string> grant = await ReadGrantAsync(context);
        string Field(string name) => grant.GetValueOrDefault(name, string.Empty);
        (string? error, string description) = Field("grant_type") switch
        {
            "" => ("invalid_request", "grant_type is required."),
            "refresh_token" when Field("refresh_token").Length == 0 => ("invalid_grant", "refresh_token is required."),
            "refresh_token" => (null, string.Empty),
            "authorization_code" when Field("code").Length == 0 || Field("code_verifier").Length == 0 || Field("redirect_uri").Length == 0 || Field("client_id").Length == 0
                => ("invalid_request", "code, code_verifier, redirect_uri and client_id are required."),
            "authorization_code" => state.RedeemAuthorizationCode(Field("code"), Field("code_verifier"), Field("redirect_uri"), Field("client_id")) is { } why
                ? ("invalid_grant", why)
                : (null, string.Empty),
            _ => ("unsupported_grant_type", "Only authorization_code and refresh_token are supported."),
        };
        if (error is not null)
        {
            await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status400BadRequest, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("error", error);
                writer.WriteString("error_description", description);
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

    /// <summary>The body's string fields, form-encoded (OpenAI) or JSON (Anthropic).</summary>
    private static async Task<Dictionary<string, string>> ReadGrantAsync(HttpContext context)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (context.Request.HasFormContentType)
        {
            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
            foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> field in form)
            {
                fields[field.Key] = field.Value.ToString();
            }

            return fields;
        }

        (JsonDocument? document, _) = await SimulatorHttp.ReadJsonAsync(context);
        using (document)
        {
            if (document is not null && document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        fields[property.Name] = property.Value.GetString()!;
                    }
                }
            }

            return fields;
        }
    }

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
