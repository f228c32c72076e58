namespace Godex.Core.Backends.Anthropic;

/// <summary>
/// What the Anthropic provider authenticates with: an API key (sent as <c>x-api-key</c>) or a Claude Code OAuth
/// access token (sent as <c>Authorization: Bearer</c>, with the OAuth betas and the Claude Code system block).
/// </summary>
/// <param name="Token">The API key or the OAuth access token. Never log it.</param>
/// <param name="IsApiKey">True for an API key, false for an OAuth access token.</param>
/// <param name="ExpiresAt">When the OAuth token expires, where the credentials file says.</param>
/// <param name="SubscriptionType">The Claude plan of the OAuth login (<c>pro</c>, <c>max</c>, ...), where known.</param>
public sealed record ClaudeCredential(string Token, bool IsApiKey, DateTimeOffset? ExpiresAt, string? SubscriptionType)
{
    /// <summary>Keeps the token out of logs and exception messages.</summary>
    public override string ToString() =>
        IsApiKey ? "ClaudeCredential(api key)" : $"ClaudeCredential(oauth, expires {ExpiresAt:O}, {SubscriptionType})";
}
