namespace Godex.Core.Conversation;

/// <summary>
/// A client's own key for the upstream (<c>X-Provider-Key</c>, <c>godex exec --provider-key</c>): an OpenAI-compatible
/// backend sends it instead of its configured key. A type of its own so that no record's generated
/// <c>ToString</c> can print it.
/// </summary>
public sealed class ProviderKey
{
    /// <param name="value">The key, already checked to be a safe header value.</param>
    public ProviderKey(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value;
    }

    /// <summary>The key. Never log it.</summary>
    public string Value { get; }

    /// <summary>Hides the key.</summary>
    public override string ToString() => "(provider key)";
}
