namespace Godex.Core.Configuration;

/// <summary>
/// An OpenAI-compatible backend (<c>proxy.backends.custom.&lt;name&gt;</c>, the original's layout): Ollama, vLLM,
/// OpenRouter, Groq, Gemini's OpenAI endpoint, OpenAI itself. Routed by <c>routing.patterns.&lt;name&gt;</c>.
/// </summary>
public sealed class CustomBackendOptions : UpstreamOptions
{
    /// <summary>The backend id (the map key): used in routing patterns, logs and the ledger.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>openai</c> (Chat Completions: <c>POST {base_url}/chat/completions</c>) or <c>openai-responses</c> (<c>POST {base_url}/responses</c>).</summary>
    public string Type { get; set; } = CustomBackendTypes.OpenAI;

    /// <summary>The API root, e.g. <c>https://api.groq.com/openai/v1</c>; required.</summary>
    public override string BaseUrl { get; set; } = "";

    /// <summary>How requests authenticate.</summary>
    public CustomAuthOptions Auth { get; set; } = new();

    /// <summary>List models with <c>GET {base_url}/models</c> when no <see cref="UpstreamOptions.Models"/> are configured. <value>The default value is true.</value></summary>
    public bool Discovery { get; set; } = true;

    /// <summary>Display names of configured models (<c>models[].display_name</c>), by id.</summary>
    public Dictionary<string, string> DisplayNames { get; set; } = new(StringComparer.Ordinal);

    public CustomBackendOptions()
    {
        TotalTimeout = TimeSpan.FromSeconds(120);
    }
}

/// <summary>The <c>type</c> values of a custom backend.</summary>
public static class CustomBackendTypes
{
    public const string OpenAI = "openai";
    public const string OpenAIResponses = "openai-responses";
}

/// <summary>A custom backend's <c>auth:</c> block.</summary>
public sealed class CustomAuthOptions
{
    /// <summary><c>api_key</c> or <c>bearer</c> (<c>Authorization: Bearer</c>), <c>header</c> (each of <see cref="Headers"/>), <c>none</c>.</summary>
    public string Type { get; set; } = "none";

    /// <summary>The key, with <c>$VAR</c>/<c>${VAR}</c> expanded from the environment; <see cref="KeyEnv"/> wins when set.</summary>
    public string? Key { get; set; }

    /// <summary>An environment variable holding the key.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>Headers for <c>type: header</c> (values <c>$VAR</c>-expanded), in config order.</summary>
    public List<KeyValuePair<string, string>> Headers { get; set; } = [];

    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"CustomAuthOptions {{ Type = {Type}, KeyEnv = {KeyEnv}, Key = {(Key is null ? "none" : "set")} }}";
}
