using System.Diagnostics.CodeAnalysis;

namespace Godex.Core.Conversation;

/// <summary>The author of a <see cref="ChatMessage"/>. An extensible enum: unknown roles round-trip.</summary>
public readonly struct ChatRole : IEquatable<ChatRole>
{
    public static ChatRole System { get; } = new("system");
    public static ChatRole Developer { get; } = new("developer");
    public static ChatRole User { get; } = new("user");
    public static ChatRole Assistant { get; } = new("assistant");
    public static ChatRole Tool { get; } = new("tool");

    private readonly string? _value;

    public ChatRole(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    public string Value => _value ?? "user";

    /// <summary>True for the roles that carry instructions rather than conversation (system, developer).</summary>
    public bool IsInstruction => Equals(System) || Equals(Developer);

    public bool Equals(ChatRole other) => string.Equals(Value, other.Value, StringComparison.OrdinalIgnoreCase);
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is ChatRole other && Equals(other);
    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Value);
    public override string ToString() => Value;
    public static bool operator ==(ChatRole left, ChatRole right) => left.Equals(right);
    public static bool operator !=(ChatRole left, ChatRole right) => !left.Equals(right);
}
