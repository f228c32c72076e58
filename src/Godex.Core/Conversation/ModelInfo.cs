namespace Godex.Core.Conversation;

/// <summary>A model a backend offers.</summary>
public sealed record ModelInfo(string Id, string Backend)
{
    public string? DisplayName { get; init; }

    /// <summary>Unix seconds of the model's release, where the upstream says.</summary>
    public long? Created { get; init; }
}
