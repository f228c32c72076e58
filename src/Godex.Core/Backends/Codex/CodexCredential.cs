namespace Godex.Core.Backends.Codex;

/// <summary>What a Codex upstream call needs from the Codex CLI login.</summary>
/// <param name="BearerToken">The OAuth access token (<c>chatgpt</c> mode) or the API key (<c>api_key</c> mode). Never log it.</param>
/// <param name="AccountId">The ChatGPT account id sent as <c>chatgpt-account-id</c>, when known.</param>
/// <param name="Mode"><c>chatgpt</c> or <c>api_key</c>.</param>
/// <param name="ExpiresAt">The access token's <c>exp</c>, when it is a JWT.</param>
/// <param name="PlanType">The ChatGPT plan (<c>plus</c>, <c>pro</c>, ...), when the id token says.</param>
public sealed record CodexCredential(string BearerToken, string? AccountId, string Mode, DateTimeOffset? ExpiresAt, string? PlanType)
{
    /// <summary>True for a ChatGPT OAuth login (as opposed to an API key).</summary>
    public bool IsChatGpt => string.Equals(Mode, CodexAuthModes.ChatGpt, StringComparison.Ordinal);

    /// <summary>Keeps the token out of logs and debugger views.</summary>
    public override string ToString() => $"CodexCredential {{ Mode = {Mode}, AccountId = {AccountId}, ExpiresAt = {ExpiresAt} }}";
}

/// <summary>The <c>auth_mode</c> values of <c>auth.json</c>.</summary>
public static class CodexAuthModes
{
    public const string ChatGpt = "chatgpt";
    public const string ApiKey = "api_key";
}
