namespace Godex.Core.Conversation;

/// <summary>
/// Token counts of one model turn. <see cref="InputTokens"/> is the whole prompt, cached parts included (the OpenAI
/// convention); providers whose upstream reports cache reads separately (Anthropic) add them in.
/// </summary>
public sealed record Usage
{
    /// <summary>All prompt tokens, including <see cref="CachedInputTokens"/> and <see cref="CacheCreationInputTokens"/>.</summary>
    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens served from the upstream prompt cache.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Prompt tokens written to the upstream prompt cache (Anthropic <c>cache_creation_input_tokens</c>).</summary>
    public long CacheCreationInputTokens { get; init; }

    /// <summary>Output tokens spent on reasoning/thinking, where the upstream reports them.</summary>
    public long ReasoningTokens { get; init; }

    public long TotalTokens => InputTokens + OutputTokens;

    public static Usage Empty { get; } = new();
}
