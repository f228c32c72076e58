namespace Godex.Core.Configuration;

/// <summary>
/// One OpenAI-compatible upstream (<c>proxy.backends.custom.&lt;name&gt;</c>, the original's layout): Ollama, vLLM,
/// OpenRouter, Groq, Gemini's OpenAI endpoint, OpenAI itself. Routed by <c>routing.patterns.&lt;name&gt;</c>.
/// </summary>
public sealed class CustomBackendOptions : UpstreamOptions
{
    /// <summary>The backend's name in config, routing, logs and the ledger.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// <c>openai</c> (Chat Completions: <c>POST {base_url}/chat/completions</c>) or <c>openai-responses</c> (the
    /// Responses API: <c>POST {base_url}/responses</c>).
    /// </summary>
    public string Type { get; set; } = "openai";

    /// <summary>The API root, e.g. <c>http://127.0.0.1:11434/v1</c>; requests go to <c>{base_url}/chat/completions</c>.</summary>
    public override string BaseUrl { get; set; } = "";

    /// <summary>How requests authenticate.</summary>
    public CustomAuthOptions Auth { get; set; } = new();

    /// <summary>Ask the upstream for its models (<c>GET {base_url}/models</c>) when no <c>models</c> are configured. <value>The default value is true.</value></summary>
    public bool Discovery { get; set; } = true;

    /// <summary>Display names of configured models (<c>models[].display_name</c>), by id.</summary>
    public Dictionary<string, string> DisplayNames { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True for <c>type: openai-responses</c>.</summary>
    public bool SpeaksResponses => Type == "openai-responses";
}

/// <summary>The <c>auth:</c> of a custom backend.</summary>
public sealed class CustomAuthOptions
{
    /// <summary><c>api_key</c> or <c>bearer</c> (<c>Authorization: Bearer</c>), <c>header</c> (the <see cref="Headers"/>), or <c>none</c>.</summary>
    public string Type { get; set; } = "none";

    /// <summary>The key, with <c>$VAR</c>/<c>${VAR}</c> expanded when the backend starts.</summary>
    public string? Key { get; set; }

    /// <summary>An environment variable holding the key; wins over <see cref="Key"/> when set.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>For <c>type: header</c>: header name → value (<c>$VAR</c> expanded).</summary>
    public List<KeyValuePair<string, string>> Headers { get; set; } = [];

    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"CustomAuthOptions {{ Type = {Type}, Key = {(Key is null ? "none" : "set")}, KeyEnv = {KeyEnv}, Headers = {Headers.Count} }}";
}
