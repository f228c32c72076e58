namespace Godex.Core.Dialects.Messages;

/// <summary>What <see cref="MessagesRequestWriter"/> needs beyond the request: the provider's defaults.</summary>
/// <param name="DefaultMaxTokens">The <c>max_tokens</c> written when the request sets none (the API requires one).</param>
/// <param name="OAuthSystemPrefix">The first system block an OAuth (Claude Code) login must send; null or empty for none.</param>
internal sealed record MessagesWriterOptions(int DefaultMaxTokens, string? OAuthSystemPrefix);
