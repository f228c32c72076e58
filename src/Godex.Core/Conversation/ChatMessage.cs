namespace Godex.Core.Conversation;

/// <summary>One message of a conversation: a role and typed parts, in the order the client gave them.</summary>
public sealed record ChatMessage(ChatRole Role, IReadOnlyList<ContentPart> Parts)
{
    public ChatMessage(ChatRole role, string text)
        : this(role, [new TextPart(text)])
    {
    }

    /// <summary>The participant name (OpenAI <c>name</c>), where the client gave one.</summary>
    public string? Name { get; init; }

    /// <summary>All text parts joined.</summary>
    public string Text => ContentText.Join(Parts);
}
