namespace Godex.Core.Storage;

/// <summary>
/// An account added with <c>godex accounts add</c> or <c>godex accounts login</c>: godex serves it beside the ones the
/// config lists. It names where the login is; the login itself stays in the vendor CLI's file format.
/// </summary>
/// <param name="Backend"><c>codex</c> or <c>anthropic</c>.</param>
/// <param name="Name">Unique within the backend.</param>
/// <param name="LoginPath">The login file (Codex <c>auth.json</c>, Claude <c>.credentials.json</c>), or null for an API key.</param>
/// <param name="ApiKey">An Anthropic API key, or null.</param>
/// <param name="AddedAt">When it was added.</param>
public sealed record RegisteredAccount(string Backend, string Name, string? LoginPath, string? ApiKey, DateTimeOffset AddedAt)
{
    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"RegisteredAccount {{ Backend = {Backend}, Name = {Name}, LoginPath = {LoginPath}, ApiKey = {(ApiKey is null ? "none" : "set")} }}";
}
