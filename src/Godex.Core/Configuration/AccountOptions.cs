namespace Godex.Core.Configuration;

/// <summary>
/// One login of a backend (<c>proxy.backends.codex.accounts[]</c>, <c>proxy.backends.anthropic.accounts[]</c>,
/// <c>proxy.backends.custom.&lt;name&gt;.accounts[]</c>): a Codex CLI login file, a Claude Code credentials file, or an
/// API key (Anthropic's, or an OpenAI-compatible upstream's). Each account refreshes its own OAuth tokens.
/// </summary>
public sealed class AccountOptions
{
    /// <summary>Unique within the backend; names the account in logs, the ledger and <c>godex accounts</c>.</summary>
    public string Name { get; set; } = "default";

    /// <summary>Codex: the <c>auth.json</c> of this login.</summary>
    public string? AuthPath { get; set; }

    /// <summary>Anthropic: the <c>.credentials.json</c> of this login.</summary>
    public string? CredentialsPath { get; set; }

    /// <summary>Anthropic: an API key instead of a login file; a custom backend: this account's key (<c>$VAR</c> expanded).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Anthropic or a custom backend: the environment variable holding this account's key; wins over <see cref="ApiKey"/>.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"AccountOptions {{ Name = {Name}, AuthPath = {AuthPath}, CredentialsPath = {CredentialsPath}, ApiKey = {(ApiKey is null ? "none" : "set")}, KeyEnv = {KeyEnv} }}";
}
