namespace Godex.Core.Conversation;

/// <summary>
/// One event of the canonical stream a provider produces for a model turn. Order: optional
/// <see cref="ResponseStartedEvent"/>, then content events, then exactly one terminal event
/// (<see cref="ResponseCompletedEvent"/> or <see cref="StreamErrorEvent"/>).
/// </summary>
public abstract record StreamEvent;

/// <summary>The upstream accepted the request; carries its response id and the model that answers.</summary>
public sealed record ResponseStartedEvent(string ResponseId, string Model) : StreamEvent
{
    /// <summary>The backend account that serves the turn, when the backend has accounts (for the usage ledger).</summary>
    public string? Account { get; init; }
}

/// <summary>A piece of visible assistant text.</summary>
public sealed record TextDeltaEvent(string Text) : StreamEvent;

/// <summary>A piece of refusal text (OpenAI <c>refusal</c>).</summary>
public sealed record RefusalDeltaEvent(string Text) : StreamEvent;

/// <summary>A piece of reasoning/thinking text.</summary>
public sealed record ReasoningDeltaEvent(string Text) : StreamEvent
{
    /// <summary>The upstream reasoning item id (Responses <c>rs_...</c>), where the upstream has one.</summary>
    public string? ItemId { get; init; }

    /// <summary>
    /// Which part of a Responses reasoning summary the text belongs to (<c>summary_index</c>); the summary's paragraphs
    /// stay apart for Responses clients, and dialects with one text join them with a blank line.
    /// </summary>
    public int SummaryIndex { get; init; }
}

/// <summary>A reasoning block ended; carries the whole block with its opaque signature or encrypted content.</summary>
public sealed record ReasoningCompletedEvent(ReasoningPart Reasoning) : StreamEvent;

/// <summary>
/// A tool call began. <paramref name="Index"/> counts tool calls within this response from 0, the way OpenAI chat
/// chunks number them.
/// </summary>
public sealed record ToolCallStartedEvent(int Index, string CallId, string Name) : StreamEvent
{
    public ToolCallKind Kind { get; init; } = ToolCallKind.Function;

    /// <summary>The upstream item id (Responses <c>fc_...</c>), where the upstream has one.</summary>
    public string? ItemId { get; init; }
}

/// <summary>A piece of a tool call's arguments (JSON text for function tools, raw input for custom tools).</summary>
public sealed record ToolCallArgumentsDeltaEvent(int Index, string Delta) : StreamEvent;

/// <summary>
/// A tool call is complete. <see cref="Call"/> holds the final arguments: the upstream's done snapshot when it has
/// one, else the concatenated deltas. Emitted once per call id.
/// </summary>
public sealed record ToolCallCompletedEvent(int Index, ToolCallPart Call) : StreamEvent;

/// <summary>Usage reported by the upstream; may arrive before the terminal event and be refined later.</summary>
public sealed record UsageEvent(Usage Usage) : StreamEvent;

/// <summary>The turn ended normally.</summary>
public sealed record ResponseCompletedEvent(FinishReason FinishReason, Usage Usage) : StreamEvent
{
    /// <summary>The upstream's own stop reason (Anthropic <c>stop_reason</c>, Responses status), for same-dialect rendering.</summary>
    public string? UpstreamReason { get; init; }
}

/// <summary>
/// The turn failed. Before any content event, a front door answers with <see cref="BackendError.Status"/>; after
/// one, it sends an in-band error in its dialect and ends the stream.
/// </summary>
public sealed record StreamErrorEvent(BackendError Error) : StreamEvent;
