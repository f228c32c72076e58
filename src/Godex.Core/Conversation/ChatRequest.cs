using System.Text.Json;

namespace Godex.Core.Conversation;

/// <summary>
/// The protocol-neutral request every front door produces and every provider consumes. Instruction messages
/// (system/developer) stay in <see cref="Messages"/> at their position: providers decide whether they become a
/// top-level instruction field or stay in place.
/// </summary>
public sealed record ChatRequest
{
    /// <summary>The model id after alias expansion (what the upstream gets).</summary>
    public required string Model { get; init; }

    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    public IReadOnlyList<ChatTool> Tools { get; init; } = [];

    public IReadOnlyList<HostedTool> HostedTools { get; init; } = [];

    /// <summary>
    /// Tools the client's own provider defines and only it can serve (Anthropic's <c>computer_*</c>,
    /// <c>code_execution_*</c>, ...), by their type: a request carrying any can go to that provider only.
    /// </summary>
    public IReadOnlyList<string> ProviderOnlyTools { get; init; } = [];

    public ToolChoice? ToolChoice { get; init; }

    public bool? ParallelToolCalls { get; init; }

    /// <summary>The client's output token limit (<c>max_tokens</c>, <c>max_completion_tokens</c>, <c>max_output_tokens</c>).</summary>
    public int? MaxOutputTokens { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? TopK { get; init; }

    public IReadOnlyList<string> StopSequences { get; init; } = [];

    public ReasoningOptions? Reasoning { get; init; }

    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>OpenAI's answer-length control (<c>low</c>, <c>medium</c>, <c>high</c>): Responses <c>text.verbosity</c>, chat <c>verbosity</c>.</summary>
    public string? Verbosity { get; init; }

    /// <summary>A stable key for the upstream prompt cache and session affinity (Codex <c>prompt_cache_key</c>).</summary>
    public string? PromptCacheKey { get; init; }

    /// <summary>The end user (OpenAI <c>user</c>), for upstreams that take it.</summary>
    public string? User { get; init; }

    /// <summary>The client's own upstream key, for the backends that accept one (OpenAI-compatible); null for the configured key.</summary>
    public ProviderKey? ProviderKey { get; init; }

    /// <summary>True when the client asked for a stream; providers may stream regardless and be aggregated.</summary>
    public bool Stream { get; init; }

    /// <summary>The instruction messages' text joined by blank lines, in order.</summary>
    public string Instructions
    {
        get
        {
            var builder = new System.Text.StringBuilder();
            foreach (ChatMessage message in Messages)
            {
                if (!message.Role.IsInstruction)
                {
                    continue;
                }

                string text = message.Text;
                if (text.Length == 0)
                {
                    continue;
                }

                if (builder.Length > 0)
                {
                    builder.Append("\n\n");
                }

                builder.Append(text);
            }

            return builder.ToString();
        }
    }
}

/// <summary>Reasoning controls: an effort level (OpenAI) and/or a thinking budget (Anthropic).</summary>
public sealed record ReasoningOptions
{
    /// <summary><c>minimal</c>, <c>low</c>, <c>medium</c>, <c>high</c>, <c>xhigh</c>, or <c>none</c>.</summary>
    public string? Effort { get; init; }

    /// <summary>Responses <c>reasoning.summary</c> (auto, concise, detailed).</summary>
    public string? Summary { get; init; }

    /// <summary>Anthropic thinking budget in tokens.</summary>
    public int? BudgetTokens { get; init; }
}

/// <summary>Structured output: plain text, any JSON object, or a JSON schema.</summary>
public sealed record ResponseFormat(string Type)
{
    public string? Name { get; init; }
    public JsonElement? Schema { get; init; }
    public bool? Strict { get; init; }
    public string? Description { get; init; }
}
