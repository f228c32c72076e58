namespace Godex.Core.Backends.OpenAI;

/// <summary>
/// How one request to an OpenAI-compatible upstream authenticates: a bearer key (the configured one, or the client's
/// <c>X-Provider-Key</c>), the configured headers of <c>auth.type: header</c>, or nothing.
/// </summary>
internal sealed class OpenAICompatibleKey
{
    public static OpenAICompatibleKey None { get; } = new(null, [], fromClient: false);

    public OpenAICompatibleKey(string? bearer, IReadOnlyList<KeyValuePair<string, string>> headers, bool fromClient)
    {
        Bearer = bearer;
        Headers = headers;
        FromClient = fromClient;
    }

    /// <summary>Sent as <c>Authorization: Bearer</c>, or null. Never logged.</summary>
    public string? Bearer { get; }

    /// <summary>Headers sent as they are (<c>auth.type: header</c>). Never logged.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>True for the client's own key (<c>X-Provider-Key</c>).</summary>
    public bool FromClient { get; }

    /// <summary>Hides the key.</summary>
    public override string ToString() => FromClient ? "client key" : Bearer is not null ? "API key" : Headers.Count > 0 ? "auth headers" : "no auth";
}
