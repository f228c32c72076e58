using System.Text;

namespace Godex.Core.Conversation;

/// <summary>
/// Folds a canonical event stream into a <see cref="ChatResponse"/>. Feed every event to <see cref="Add"/>;
/// <see cref="Error"/> is set when the stream ended in an error.
/// </summary>
public sealed class ChatResponseAccumulator
{
    // Made on first use: a short answer is one text delta, with no reasoning and no tool call.
    private TextBuilder _text;
    private TextBuilder _reasoningText;
    private StringBuilder? _refusal;
    private List<ReasoningPart>? _reasoning;
    private SortedDictionary<int, ToolCallPart>? _toolCalls;
    private Dictionary<int, (string CallId, string Name, ToolCallKind Kind, StringBuilder Arguments)>? _pendingCalls;
    private string? _id;
    private string? _model;
    private Usage _usage = Usage.Empty;
    private int _summaryIndex;
    private FinishReason? _finishReason;
    private string? _upstreamReason;

    public BackendError? Error { get; private set; }

    public bool IsCompleted => _finishReason is not null || Error is not null;

    public void Add(StreamEvent streamEvent)
    {
        switch (streamEvent)
        {
            case ResponseStartedEvent started:
                _id ??= started.ResponseId;
                _model ??= started.Model;
                break;
            case TextDeltaEvent text:
                _text.Append(text.Text);
                break;
            case RefusalDeltaEvent refusal:
                (_refusal ??= new StringBuilder()).Append(refusal.Text);
                break;
            case ReasoningDeltaEvent reasoning:
                if (reasoning.SummaryIndex != _summaryIndex && _reasoningText.Length > 0)
                {
                    _reasoningText.Append("\n\n");
                }

                _summaryIndex = reasoning.SummaryIndex;
                _reasoningText.Append(reasoning.Text);
                break;
            case ReasoningCompletedEvent completed:
                (_reasoning ??= []).Add(completed.Reasoning.Text.Length == 0 && _reasoningText.Length > 0
                    ? completed.Reasoning with { Text = _reasoningText.ToString() }
                    : completed.Reasoning);
                _reasoningText.Clear();
                break;
            case ToolCallStartedEvent started:
                (_pendingCalls ??= [])[started.Index] = (started.CallId, started.Name, started.Kind, new StringBuilder());
                break;
            case ToolCallArgumentsDeltaEvent delta:
                if (_pendingCalls is not null && _pendingCalls.TryGetValue(delta.Index, out var pending))
                {
                    pending.Arguments.Append(delta.Delta);
                }

                break;
            case ToolCallCompletedEvent completed:
                _pendingCalls?.Remove(completed.Index);
                (_toolCalls ??= [])[completed.Index] = completed.Call;
                break;
            case UsageEvent usage:
                _usage = usage.Usage;
                break;
            case ResponseCompletedEvent completed:
                _finishReason = completed.FinishReason;
                _upstreamReason = completed.UpstreamReason;
                if (completed.Usage != Usage.Empty)
                {
                    _usage = completed.Usage;
                }

                break;
            case StreamErrorEvent error:
                Error ??= error.Error;
                break;
        }
    }

    /// <summary>The response so far. Calls that never completed are included with the arguments streamed.</summary>
    public ChatResponse ToResponse(string fallbackId, string fallbackModel)
    {
        var toolCalls = _toolCalls is null ? [] : new List<ToolCallPart>(_toolCalls.Values);
        foreach ((int _, var pending) in _pendingCalls ?? [])
        {
            toolCalls.Add(new ToolCallPart(pending.CallId, pending.Name, pending.Arguments.ToString()) { Kind = pending.Kind });
        }

        List<ReasoningPart> reasoning = _reasoning ?? [];
        if (_reasoningText.Length > 0)
        {
            reasoning = [.. reasoning, new ReasoningPart { Text = _reasoningText.ToString() }];
        }

        return new ChatResponse
        {
            Id = _id ?? fallbackId,
            Model = _model ?? fallbackModel,
            Text = _text.ToString(),
            Refusal = _refusal?.ToString(),
            Reasoning = reasoning,
            ToolCalls = toolCalls,
            FinishReason = _finishReason ?? (toolCalls.Count > 0 ? FinishReason.ToolCalls : FinishReason.Stop),
            UpstreamReason = _upstreamReason,
            Usage = _usage,
        };
    }

    /// <summary>Text appended in pieces; no builder until a second piece comes (most answers are one piece).</summary>
    private struct TextBuilder
    {
        private string? _first;
        private StringBuilder? _builder;

        public readonly int Length => _builder?.Length ?? _first?.Length ?? 0;

        public void Append(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            if (_builder is not null)
            {
                _builder.Append(text);
            }
            else if (_first is null)
            {
                _first = text;
            }
            else
            {
                _builder = new StringBuilder(_first).Append(text);
            }
        }

        public void Clear()
        {
            _first = null;
            _builder?.Clear();
        }

        public override readonly string ToString() => _builder?.ToString() ?? _first ?? "";
    }
}
