using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Backends.Codex;

/// <summary>
/// The ChatGPT Codex backend as the send path sees it: the Codex CLI login as a bearer token (with its ChatGPT account
/// id), the Codex CLI's <c>originator</c> and user agent, and the backend's error shapes
/// (<c>{"error":{"message","type","code","resets_in_seconds"}}</c> or <c>{"detail": ...}</c>).
/// </summary>
internal sealed class CodexProfile(CodexBackendOptions options, CodexCredentialStore credentials) : UpstreamProfile<CodexCredential>
{
    public override string Name => "codex";

    public override string DisplayName => "the Codex upstream";

    public override UpstreamOptions Options => options;

    public override ValueTask<CodexCredential> GetCredentialAsync(CodexCredential? rejected, CancellationToken cancellationToken) =>
        credentials.GetAsync(forceRefresh: rejected is not null, cancellationToken);

    public override bool SameCredential(CodexCredential first, CodexCredential second) =>
        string.Equals(first.BearerToken, second.BearerToken, StringComparison.Ordinal);

    /// <summary>An overload refusal right after the stream's first events fails over like a 429 (gateways.md §2.2).</summary>
    internal override IRelayRules PreambleRules => ResponsesRelayRules.Instance;

    public override string Describe(CodexCredential credential) => credential.IsChatGpt ? "ChatGPT login" : "API-key login";

    public override void AddHeaders(HttpRequestHeaders headers, CodexCredential credential, UpstreamHeaders clientHeaders)
    {
        headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
        headers.TryAddWithoutValidation("originator", options.Originator);
        headers.TryAddWithoutValidation("User-Agent", options.UserAgent);
        if (credential.IsChatGpt && credential.AccountId is not null)
        {
            headers.TryAddWithoutValidation("chatgpt-account-id", credential.AccountId);
        }
    }

    public override BackendError ReadError(int status, ReadOnlySpan<byte> body)
    {
        string? message = null, code = null, param = null;
        TimeSpan? resetsIn = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
                {
                    message = String(error, "message");
                    code = String(error, "code") ?? String(error, "type");
                    param = String(error, "param");
                    if (error.TryGetProperty("resets_in_seconds", out JsonElement resets) && resets.ValueKind == JsonValueKind.Number)
                    {
                        resetsIn = TimeSpan.FromSeconds(Math.Clamp(resets.GetDouble(), 0, TimeSpan.FromDays(30).TotalSeconds));
                    }
                }
                else if (root.TryGetProperty("error", out JsonElement errorText) && errorText.ValueKind == JsonValueKind.String)
                {
                    message = errorText.GetString();
                }

                if (message is null && root.TryGetProperty("detail", out JsonElement detail))
                {
                    message = detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON (a proxy's HTML page) or not valid UTF-8: the text below speaks for it.
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            string text = Encoding.UTF8.GetString(body).Trim();
            message = text.Length == 0
                ? $"the Codex upstream answered {status}"
                : $"the Codex upstream answered {status}: {(text.Length > 512 ? text[..512] : text)}";
        }

        if (status == 429 && code == "usage_limit_reached" && resetsIn is TimeSpan wait)
        {
            message += $" (resets in {wait.TotalSeconds:0} s)";
        }

        return BackendError.Upstream(status, message) with { Code = code, Param = param, RetryAfter = resetsIn };
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
