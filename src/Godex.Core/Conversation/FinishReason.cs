using System.Diagnostics.CodeAnalysis;

namespace Godex.Core.Conversation;

/// <summary>
/// Why the model stopped, in the OpenAI chat vocabulary (the canonical one). Each provider maps its upstream stop
/// reason here; each front door maps it back to its dialect. An extensible enum: unknown values round-trip.
/// </summary>
public readonly struct FinishReason : IEquatable<FinishReason>
{
    /// <summary>A natural stop, or a stop sequence was hit.</summary>
    public static FinishReason Stop { get; } = new("stop");

    /// <summary>The output token limit was reached.</summary>
    public static FinishReason Length { get; } = new("length");

    /// <summary>The model called one or more tools and waits for their results.</summary>
    public static FinishReason ToolCalls { get; } = new("tool_calls");

    /// <summary>Output was withheld or cut by a safety system (Anthropic <c>refusal</c>).</summary>
    public static FinishReason ContentFilter { get; } = new("content_filter");

    private readonly string? _value;

    public FinishReason(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    public string Value => _value ?? "stop";

    public bool Equals(FinishReason other) => string.Equals(Value, other.Value, StringComparison.Ordinal);
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is FinishReason other && Equals(other);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);
    public override string ToString() => Value;
    public static bool operator ==(FinishReason left, FinishReason right) => left.Equals(right);
    public static bool operator !=(FinishReason left, FinishReason right) => !left.Equals(right);
}
