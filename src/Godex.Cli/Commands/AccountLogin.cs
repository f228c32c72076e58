using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Configuration;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex accounts login codex|claude</c>: the vendor's OAuth authorization-code flow with PKCE (S256), run by godex
/// itself. The user opens the printed URL; the browser comes back to a one-shot loopback listener with the code, or, on
/// a headless machine (<c>--paste</c>), the user pastes the code (<c>code#state</c>, or the whole address the browser
/// ended on). The tokens are written in the vendor CLI's own login format (Codex <c>auth.json</c>, Claude Code
/// <c>.credentials.json</c>), so that CLI can use the file too and godex refreshes it as any other login. Codex also has
/// a device login (<see cref="DeviceLoginAsync"/>): the user types a code on another machine's browser, nothing is pasted.
/// </summary>
internal static class AccountLogin
{
    /// <summary>Where a vendor's flow goes; the URLs can point elsewhere (a test's simulator).</summary>
    internal sealed record Vendor(string Backend, string AuthorizeUrl, string TokenUrl, string ClientId, string Scope, int DefaultPort, string CallbackPath, string PasteRedirect, bool JsonTokenRequest);

    private static readonly TimeSpan s_callbackTimeout = TimeSpan.FromMinutes(5);

    public static Vendor Codex(GodexOptions options) => new(
        "codex", "https://auth.openai.com/oauth/authorize", options.Proxy.Backends.Codex.RefreshUrl, options.Proxy.Backends.Codex.ClientId,
        "openid profile email offline_access", 1455, "/auth/callback", "http://localhost:1455/auth/callback", JsonTokenRequest: false);

    public static Vendor Claude(GodexOptions options) => new(
        "anthropic", "https://claude.ai/oauth/authorize", options.Proxy.Backends.Anthropic.RefreshUrl, options.Proxy.Backends.Anthropic.ClientId,
        "org:create_api_key user:profile user:inference", 0, "/callback", "https://console.anthropic.com/oauth/code/callback", JsonTokenRequest: true);

    /// <summary>Runs the flow and writes the login to <paramref name="path"/>.</summary>
    public static async Task LoginAsync(Vendor vendor, string path, bool paste, int? port, TextWriter output, TextReader input, TimeProvider time, CancellationToken cancellationToken)
    {
        string verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        string challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        string state = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        TcpListener? listener = null;
        string redirect = vendor.PasteRedirect;
        if (!paste)
        {
            listener = new TcpListener(IPAddress.Loopback, port ?? vendor.DefaultPort);
            listener.Start();
            redirect = $"http://localhost:{((IPEndPoint)listener.LocalEndpoint).Port}{vendor.CallbackPath}";
        }

        try
        {
            string url = AuthorizeUrl(vendor, redirect, challenge, state);
            await output.WriteLineAsync("Open this address in a browser and approve the login:");
            await output.WriteLineAsync(url);
            await output.FlushAsync(cancellationToken);

            (string code, string? returnedState) = listener is null
                ? await ReadPastedAsync(output, input, cancellationToken)
                : await WaitForCallbackAsync(listener, vendor.CallbackPath, time, cancellationToken);
            if (returnedState is not null && !string.Equals(returnedState, state, StringComparison.Ordinal))
            {
                throw new StateCommand.UsageException("the login came back with another state than this run sent; start again");
            }

            JsonObject tokens = await ExchangeAsync(vendor, code, state, redirect, verifier, cancellationToken);
            Write(vendor, path, tokens, time);
        }
        finally
        {
            listener?.Stop();
            listener?.Dispose();
        }
    }

    /// <summary>How long a device login may wait for the user: the code's lifetime ("expires in 15 minutes" in the Codex CLI).</summary>
    private static readonly TimeSpan s_deviceTimeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// OpenAI's device login, as the Codex CLI speaks it (<c>codex login --device-auth</c>; not RFC 8628):
    /// 1. POST <c>{issuer}/api/accounts/deviceauth/usercode</c> <c>{client_id}</c> → a user code and the poll interval;
    /// 2. the user opens <c>{issuer}/codex/device</c> anywhere and types the code;
    /// 3. POST <c>{issuer}/api/accounts/deviceauth/token</c> every interval: 403/404 while pending, then the
    ///    authorization code with the PKCE pair the server made;
    /// 4. the usual code exchange at the token URL with <c>redirect_uri</c> <c>{issuer}/deviceauth/callback</c>.
    /// The issuer is the origin of the authorize address. A 429 (a server asking to slow down) lengthens the interval
    /// to its <c>Retry-After</c>; the wait ends after 15 minutes.
    /// </summary>
    public static async Task DeviceLoginAsync(Vendor vendor, string path, TextWriter output, TimeProvider time, CancellationToken cancellationToken)
    {
        if (vendor.Backend != "codex")
        {
            throw new StateCommand.UsageException("Claude has no device login (its OAuth server offers none); on a machine without a browser use --paste");
        }

        string issuer = new Uri(vendor.AuthorizeUrl).GetLeftPart(UriPartial.Authority);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        (string deviceAuthId, string userCode, TimeSpan interval) = await RequestUserCodeAsync(http, issuer, vendor.ClientId, cancellationToken);
        await output.WriteLineAsync("Open this address in a browser (on any machine) and sign in:");
        await output.WriteLineAsync(issuer + "/codex/device");
        await output.WriteLineAsync($"Then enter this one-time code (it expires in {s_deviceTimeout.TotalMinutes:0} minutes; never share it): {userCode}");
        await output.FlushAsync(cancellationToken);

        DateTimeOffset deadline = time.GetUtcNow() + s_deviceTimeout;
        for (int poll = 0; ; poll++)
        {
            var body = new JsonObject { ["device_auth_id"] = deviceAuthId, ["user_code"] = userCode };
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await http.PostAsync(issuer + "/api/accounts/deviceauth/token", content, cancellationToken);
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                JsonObject? answer = ParseObject(text);
                string? code = answer?["authorization_code"]?.GetValue<string>();
                string? verifier = answer?["code_verifier"]?.GetValue<string>();
                if (code is null || verifier is null)
                {
                    throw new StateCommand.UsageException("the device login answered without an authorization code");
                }

                JsonObject tokens = await ExchangeAsync(vendor, code, state: "", issuer + "/deviceauth/callback", verifier, cancellationToken);
                Write(vendor, path, tokens, time);
                return;
            }

            TimeSpan wait = interval;
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // Slow down: wait what the server asks, and keep the longer interval from now on.
                interval = wait = response.Headers.RetryAfter?.Delta is { } delta && delta > interval ? delta : interval + TimeSpan.FromSeconds(5);
            }
            else if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound))
            {
                throw new StateCommand.UsageException($"the device login failed: {ErrorText(text, response.StatusCode)}");
            }

            if (time.GetUtcNow() + wait >= deadline)
            {
                throw new StateCommand.UsageException($"the device code was not approved within {s_deviceTimeout.TotalMinutes:0} minutes; start again");
            }

            await Task.Delay(wait, time, cancellationToken);
        }
    }

    private static async Task<(string DeviceAuthId, string UserCode, TimeSpan Interval)> RequestUserCodeAsync(HttpClient http, string issuer, string clientId, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["client_id"] = clientId };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(issuer + "/api/accounts/deviceauth/usercode", content, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new StateCommand.UsageException($"{issuer} offers no device login; use --paste");
        }

        JsonObject? answer = response.IsSuccessStatusCode ? ParseObject(text) : null;
        string? deviceAuthId = answer?["device_auth_id"] is JsonValue id && id.TryGetValue(out string? idText) ? idText : null;
        string? userCode = (answer?["user_code"] ?? answer?["usercode"]) is JsonValue code && code.TryGetValue(out string? codeText) ? codeText : null;
        if (deviceAuthId is null || userCode is null)
        {
            throw new StateCommand.UsageException($"the device login could not start: {ErrorText(text, response.StatusCode)}");
        }

        // The CLI's server sends the interval as a string of seconds; take a number too, and never poll faster than 1 s.
        long seconds = answer!["interval"] is JsonValue value
            ? value.TryGetValue(out long number) ? number : value.TryGetValue(out string? digits) && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ? parsed : 5
            : 5;
        return (deviceAuthId, userCode, TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60)));
    }

    private static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ErrorText(string text, HttpStatusCode status)
    {
        JsonObject? body = ParseObject(text);
        JsonNode? error = body?["error"];
        return (error is JsonObject nested ? nested["message"]?.ToString() ?? nested["code"]?.ToString() : error?.ToString())
            ?? body?["error_description"]?.ToString()
            ?? $"HTTP {(int)status}";
    }

    internal static string AuthorizeUrl(Vendor vendor, string redirect, string challenge, string state)
    {
        var query = new StringBuilder(vendor.AuthorizeUrl).Append(vendor.AuthorizeUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        void Add(string name, string value) => query.Append(name).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        if (vendor.Backend == "anthropic")
        {
            Add("code", "true"); // Claude's page shows the code to paste when the redirect is its own
        }

        Add("response_type", "code");
        Add("client_id", vendor.ClientId);
        Add("redirect_uri", redirect);
        Add("scope", vendor.Scope);
        Add("code_challenge", challenge);
        Add("code_challenge_method", "S256");
        Add("state", state);
        if (vendor.Backend == "codex")
        {
            Add("id_token_add_organizations", "true");
            Add("codex_cli_simplified_flow", "true");
        }

        return query.ToString(0, query.Length - 1);
    }

    private static async Task<(string Code, string? State)> ReadPastedAsync(TextWriter output, TextReader input, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync("Then paste the code it shows (or the whole address the browser ended on) here:");
        string? line = await input.ReadLineAsync(cancellationToken);
        return ParsePasted(line ?? "");
    }

    /// <summary><c>code#state</c> (Claude's page), an address with <c>?code=…&amp;state=…</c>, or a bare code.</summary>
    internal static (string Code, string? State) ParsePasted(string text)
    {
        text = text.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? address) && address.Query.Length > 1)
        {
            Dictionary<string, string> query = ParseQuery(address.Query);
            if (query.TryGetValue("code", out string? fromUrl))
            {
                return (fromUrl, query.GetValueOrDefault("state"));
            }
        }

        int hash = text.IndexOf('#', StringComparison.Ordinal);
        string code = hash < 0 ? text : text[..hash];
        if (code.Length == 0)
        {
            throw new StateCommand.UsageException("no code was pasted");
        }

        return (code, hash < 0 ? null : text[(hash + 1)..]);
    }

    /// <summary>Serves the loopback redirect once: the browser's GET of the callback path with the code.</summary>
    private static async Task<(string Code, string? State)> WaitForCallbackAsync(TcpListener listener, string callbackPath, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(s_callbackTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        for (int connection = 0; connection < 32; connection++)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new StateCommand.UsageException($"no login came back within {s_callbackTimeout.TotalMinutes:0} minutes; use --paste on a machine without a browser");
            }

            using (client)
            {
                NetworkStream stream = client.GetStream();
                string target = await ReadRequestTargetAsync(stream, linked.Token);
                int question = target.IndexOf('?', StringComparison.Ordinal);
                string pathPart = question < 0 ? target : target[..question];
                Dictionary<string, string> query = question < 0 ? [] : ParseQuery(target[question..]);
                if (pathPart != callbackPath || !(query.ContainsKey("code") || query.ContainsKey("error")))
                {
                    await RespondAsync(stream, 404, "Not the login callback.", linked.Token);
                    continue;
                }

                if (query.TryGetValue("error", out string? error))
                {
                    await RespondAsync(stream, 400, "The login was refused: " + error, linked.Token);
                    throw new StateCommand.UsageException($"the login was refused: {error} {query.GetValueOrDefault("error_description")}".Trim());
                }

                await RespondAsync(stream, 200, "godex: login complete. You can close this tab.", linked.Token);
                return (query["code"], query.GetValueOrDefault("state"));
            }
        }

        throw new StateCommand.UsageException("too many requests reached the login callback without a code");
    }

    private static async Task<string> ReadRequestTargetAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[8192];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
            if (buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        string head = Encoding.ASCII.GetString(buffer, 0, total);
        string[] requestLine = head.Split("\r\n", 2)[0].Split(' ');
        return requestLine.Length >= 2 && requestLine[0] == "GET" ? requestLine[1] : "";
    }

    private static async Task RespondAsync(NetworkStream stream, int status, string text, CancellationToken cancellationToken)
    {
        byte[] body = Encoding.UTF8.GetBytes($"<!doctype html><meta charset=utf-8><title>godex</title><p>{WebUtility.HtmlEncode(text)}</p>");
        string head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            values[name] = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
        }

        return values;
    }

    private static async Task<JsonObject> ExchangeAsync(Vendor vendor, string code, string state, string redirect, string verifier, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        HttpContent content;
        if (vendor.JsonTokenRequest)
        {
            var body = new JsonObject
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["state"] = state,
                ["client_id"] = vendor.ClientId,
                ["redirect_uri"] = redirect,
                ["code_verifier"] = verifier,
            };
            content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        else
        {
            content = new FormUrlEncodedContent(
            [
                new("grant_type", "authorization_code"),
                new("code", code),
                new("redirect_uri", redirect),
                new("client_id", vendor.ClientId),
                new("code_verifier", verifier),
            ]);
        }

        using (content)
        {
            using HttpResponseMessage response = await http.PostAsync(vendor.TokenUrl, content, cancellationToken);
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonObject? tokens = null;
            try
            {
                tokens = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                // Reported below with the status.
            }

            if (!response.IsSuccessStatusCode || tokens?["access_token"] is not JsonValue)
            {
                string reason = tokens?["error_description"]?.ToString() ?? tokens?["error"]?.ToString() ?? $"HTTP {(int)response.StatusCode}";
                throw new StateCommand.UsageException($"the token endpoint refused the code: {reason}");
            }

            return tokens;
        }
    }

    /// <summary>The login in the vendor CLI's format, written atomically with mode 0600.</summary>
    private static void Write(Vendor vendor, string path, JsonObject tokens, TimeProvider time)
    {
        DateTimeOffset now = time.GetUtcNow();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string? Text(string name) => tokens[name] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
        if (vendor.Backend == "codex")
        {
            CredentialFile.WriteAtomic(path, new JsonObject
            {
                ["auth_mode"] = "chatgpt",
                ["OPENAI_API_KEY"] = null,
                ["tokens"] = new JsonObject
                {
                    ["id_token"] = Text("id_token"),
                    ["access_token"] = Text("access_token"),
                    ["refresh_token"] = Text("refresh_token"),

                    // As the Codex CLI writes it: the ChatGPT account the id token names (sent as ChatGPT-Account-Id).
                    ["account_id"] = JwtClaims.NestedString(JwtClaims.TryReadPayload(Text("id_token")), "https://api.openai.com/auth", "chatgpt_account_id"),
                },
                ["last_refresh"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            });
            return;
        }

        long expiresIn = tokens["expires_in"] is JsonValue seconds && seconds.TryGetValue(out long value) ? value : 3600;
        var scopes = new JsonArray();
        foreach (string scope in (Text("scope") ?? vendor.Scope).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            scopes.Add((JsonNode)JsonValue.Create(scope));
        }

        CredentialFile.WriteAtomic(path, new JsonObject
        {
            ["claudeAiOauth"] = new JsonObject
            {
                ["accessToken"] = Text("access_token"),
                ["refreshToken"] = Text("refresh_token"),
                ["expiresAt"] = now.AddSeconds(expiresIn).ToUnixTimeMilliseconds(),
                ["scopes"] = scopes,
            },
        });
    }
}
