namespace Godex.Core.Dialects;

/// <summary>The wire dialects godex speaks, to clients and to upstreams alike.</summary>
public enum WireDialect
{
    /// <summary>OpenAI Chat Completions: <c>POST /chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary>OpenAI Responses: <c>POST /responses</c> (the Codex backend speaks it too).</summary>
    Responses,

    /// <summary>Anthropic Messages: <c>POST /v1/messages</c> and <c>/v1/messages/count_tokens</c>.</summary>
    Messages,
}
