using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// OpenAI's device login for the Codex CLI (<c>codex login --device-auth</c>), as the CLI's own client speaks it
/// (openai/codex <c>codex-rs/login/src/device_code_auth.rs</c>); it is not RFC 8628:
/// <list type="number">
/// <item><c>POST /api/accounts/deviceauth/usercode</c> <c>{client_id}</c> → <c>{device_auth_id, user_code, interval}</c>
/// (the interval in seconds, as a string).</item>
/// <item>The user opens <c>/codex/device</c> and enters the user code (here: <c>POST /codex/device</c> with
/// <c>user_code</c>, what the test's "browser" does).</item>
/// <item><c>POST /api/accounts/deviceauth/token</c> <c>{device_auth_id, user_code}</c>: 403 while the user has not
/// approved, 404 for a login it does not know (unknown, redeemed, or expired after
/// <see cref="SimulatorOptions.DeviceCodeLifetime"/>), then 200 with <c>{authorization_code, code_challenge,
/// code_verifier}</c>, once. A poll sooner than <see cref="SimulatorOptions.DeviceCodeInterval"/> after the previous
/// one is refused with 429 and <c>Retry-After</c> (the simulator's strictness: the real server's answer to a hurried
/// client is not documented).</item>
/// <item>The client redeems the code at <c>/oauth/token</c> (form, <c>authorization_code</c>) with the server's
/// verifier and <c>redirect_uri</c> = <c>{issuer}/deviceauth/callback</c>, checked as strictly as a browser login's.</item>
/// </list>
/// </summary>
internal static class DeviceAuthSimulatorEndpoint
{
    public const string UserCodePath = "/api/accounts/deviceauth/usercode";
    public const string TokenPath = "/api/accounts/deviceauth/token";
    public const string VerificationPath = "/codex/device";
    public const string CallbackPath = "/deviceauth/callback";

    // A tolerance for the interval check: the client measures its sleep from when it read the previous answer.
    private static readonly TimeSpan s_slack = TimeSpan.FromMilliseconds(50);

    public static async Task HandleUserCodeAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(UserCodePath);
        (JsonDocument? document, _) = await SimulatorHttp.ReadJsonAsync(context);
        string clientId;
        using (document)
        {
            clientId = document is { RootElement.ValueKind: JsonValueKind.Object } && document.RootElement.TryGetProperty("client_id", out JsonElement id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()!
                : string.Empty;
        }

        if (clientId.Length == 0)
        {
            await SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status400BadRequest, "client_id is required.", "invalid_request_error", "client_id", null);
            return;
        }

        string hex = state.NextId(string.Empty, 8).ToUpperInvariant();
        var login = new SimulatorDeviceAuthorization("deviceauth_" + state.NextId(string.Empty, 24), hex[..4] + "-" + hex[4..], clientId, state.TimeProvider.GetUtcNow());
        state.DeviceAuthorizations[login.DeviceAuthId] = login;
        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("device_auth_id", login.DeviceAuthId);
            writer.WriteString("user_code", login.UserCode);
            writer.WriteString("interval", ((long)state.Options.DeviceCodeInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        });
    }

    /// <summary>The verification page: GET shows the form, POST with <c>user_code</c> approves that login.</summary>
    public static async Task HandleVerificationAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(VerificationPath);
        context.Response.ContentType = "text/html; charset=utf-8";
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await context.Response.WriteAsync("<!doctype html><form method=post><input name=user_code><button>Continue</button></form>", context.RequestAborted);
            return;
        }

        string userCode = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync(context.RequestAborted))["user_code"].ToString().Trim() : string.Empty;
        SimulatorDeviceAuthorization? login = Find(state, l => string.Equals(l.UserCode, userCode, StringComparison.OrdinalIgnoreCase));
        if (login is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("<!doctype html><p>That code is not valid or has expired.</p>", context.RequestAborted);
            return;
        }

        lock (login)
        {
            login.Approved = true;
        }

        await context.Response.WriteAsync("<!doctype html><p>Signed in. Return to your terminal.</p>", context.RequestAborted);
    }

    public static async Task HandleTokenAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(TokenPath);
        (JsonDocument? document, _) = await SimulatorHttp.ReadJsonAsync(context);
        string deviceAuthId, userCode;
        using (document)
        {
            deviceAuthId = Text(document, "device_auth_id");
            userCode = Text(document, "user_code");
        }

        SimulatorDeviceAuthorization? login = Find(state, l => l.DeviceAuthId == deviceAuthId && l.UserCode == userCode);
        if (login is null)
        {
            await SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status404NotFound, "Unknown or expired device authorization.", "invalid_request_error", null, "deviceauth_not_found");
            return;
        }

        DateTimeOffset now = state.TimeProvider.GetUtcNow();
        TimeSpan interval = state.Options.DeviceCodeInterval;
        bool approved;
        lock (login)
        {
            if (login.LastPoll is { } last && now - last + s_slack < interval)
            {
                login.TooFastPolls++;
                login.LastPoll = now;
                context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(interval.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                approved = false;
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            }
            else
            {
                login.LastPoll = now;
                approved = login.Approved;
                if (!approved)
                {
                    login.PendingPolls++;
                }
            }
        }

        if (context.Response.StatusCode == StatusCodes.Status429TooManyRequests)
        {
            await SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status429TooManyRequests, "Polling too fast; wait the interval.", "invalid_request_error", null, "slow_down");
            return;
        }

        if (!approved)
        {
            await SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status403Forbidden, "The user has not approved this device yet.", "invalid_request_error", null, "deviceauth_authorization_pending");
            return;
        }

        // Approved: the server made the PKCE pair and hands the client the code with it, once.
        state.DeviceAuthorizations.TryRemove(login.DeviceAuthId, out _);
        string verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        string challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        string code = "sim-device-code-" + state.NextId(string.Empty, 24);
        string issuer = context.Request.Scheme + "://" + context.Request.Host.Value;
        state.AddAuthorizationCode(code, new SimulatorAuthorizationCode(challenge, issuer + CallbackPath, login.ClientId));
        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("authorization_code", code);
            writer.WriteString("code_challenge", challenge);
            writer.WriteString("code_verifier", verifier);
            writer.WriteEndObject();
        });
    }

    /// <summary>A live login matching <paramref name="match"/>; expired ones are dropped on the way.</summary>
    private static SimulatorDeviceAuthorization? Find(SimulatorState state, Func<SimulatorDeviceAuthorization, bool> match)
    {
        DateTimeOffset now = state.TimeProvider.GetUtcNow();
        foreach (SimulatorDeviceAuthorization login in state.DeviceAuthorizations.Values)
        {
            if (now - login.IssuedAt >= state.Options.DeviceCodeLifetime)
            {
                state.DeviceAuthorizations.TryRemove(login.DeviceAuthId, out _);
            }
            else if (match(login))
            {
                return login;
            }
        }

        return null;
    }

    private static string Text(JsonDocument? document, string name) =>
        document is { RootElement.ValueKind: JsonValueKind.Object } && document.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : string.Empty;
}
