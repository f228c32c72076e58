using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;

namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// The Anthropic Messages API as the send path sees it: an API key as <c>x-api-key</c>, or Claude Code's OAuth login as
/// a bearer token with Claude Code's betas and user agent; <c>anthropic-version</c> and <c>anthropic-beta</c> merged
/// with the client's (validated) ones; errors in Anthropic's shape (<c>{"type":"error","error":{"type","message"}}</c>).
/// </summary>
internal sealed class AnthropicProfile(AnthropicBackendOptions options, ClaudeCredentialStore credentials) : UpstreamProfile<ClaudeCredential>
{
    public override string Name => "anthropic";

    public override string DisplayName => "the Anthropic upstream";

    public override UpstreamOptions Options => options;

    public override ValueTask<ClaudeCredential> GetCredentialAsync(ClaudeCredential? rejected, CancellationToken cancellationToken) =>
        rejected is null
            ? credentials.GetAsync(forceRefresh: false, cancellationToken)
            : credentials.RefreshAfterRejectionAsync(rejected, cancellationToken);

    public override bool SameCredential(ClaudeCredential first, ClaudeCredential second) =>
        string.Equals(first.Token, second.Token, StringComparison.Ordinal);

    /// <summary>An overload refusal right after the stream's first events fails over like a 429 (gateways.md §2.2).</summary>
    internal override IRelayRules PreambleRules => MessagesRelayRules.Instance;

    public override string Describe(ClaudeCredential credential) => credential.IsApiKey ? "API key" : "OAuth login";

    public override void AddHeaders(HttpRequestHeaders headers, ClaudeCredential credential, UpstreamHeaders clientHeaders)
    {
        headers.TryAddWithoutValidation("anthropic-version", clientHeaders.Get("anthropic-version") ?? options.AnthropicVersion);
        // No list for the common API-key request without betas: this runs for every request.
        List<string>? betas = clientHeaders.Get("anthropic-beta") is { } clientBetas
            ? [.. clientBetas.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : null;

        if (credential.IsApiKey)
        {
            headers.TryAddWithoutValidation("x-api-key", credential.Token);
        }
        else
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Token);
            betas ??= [];
            foreach (string beta in options.OAuthBetas)
            {
                if (!betas.Contains(beta, StringComparer.OrdinalIgnoreCase))
                {
                    betas.Add(beta);
                }
            }

            headers.TryAddWithoutValidation("user-agent", options.UserAgent);
            headers.TryAddWithoutValidation("x-app", "cli");
        }

        if (betas is { Count: > 0 })
        {
            headers.TryAddWithoutValidation("anthropic-beta", string.Join(',', betas));
        }
    }

    public override BackendError ReadError(int status, ReadOnlySpan<byte> body)
    {
        string? errorType = null;
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error"u8, out JsonElement error) && error.ValueKind == JsonValueKind.Object)
            {
                errorType = error.TryGetProperty("type"u8, out JsonElement type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
                message = error.TryGetProperty("message"u8, out JsonElement text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not the API's error shape (a proxy's HTML page, say): the status speaks for itself.
        }

        message ??= string.Create(CultureInfo.InvariantCulture, $"the Anthropic upstream answered HTTP {status}");
        return MessagesStreamReader.MapError(errorType, message, status);
    }
}
