using Godex.Core.Conversation;

namespace Godex.Core.Exec;

/// <summary>
/// Runs one <c>godex exec</c>: a model turn, or with auto tools a whole tool loop, written as Wire v0.
/// </summary>
/// <remarks>
/// <code>
/// 1. stream the turn: created (once), text, tool calls → the writer
/// 2. no calls, or no auto tools → one response.completed (usage summed over every turn) and stop
/// 3. else: answer every call from the static outputs, append the assistant turn and the results to the FULL
///    history (the seed sent only the call pairs), and go to 1 — at most MaxSteps model turns
/// </code>
/// </remarks>
public sealed class ExecRunner
{
    private readonly Func<ChatRequest, CancellationToken, IAsyncEnumerable<StreamEvent>> _stream;
    private readonly WireEventWriter _writer;

    /// <param name="stream">One model turn through the router's backend.</param>
    /// <param name="writer">Where the Wire v0 lines go.</param>
    public ExecRunner(Func<ChatRequest, CancellationToken, IAsyncEnumerable<StreamEvent>> stream, WireEventWriter writer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writer);
        _stream = stream;
        _writer = writer;
    }

    /// <summary>Static tool outputs by tool name (<c>$args</c> echoes the arguments); null: no tool loop.</summary>
    public IReadOnlyDictionary<string, string>? ToolOutputs { get; init; }

    /// <summary>The most model turns a tool loop may take.</summary>
    public int MaxSteps { get; init; } = 4;

    /// <summary>Every request sent, in order (the last one carries the whole history).</summary>
    public List<ChatRequest> Requests { get; } = [];

    /// <summary>The visible text of every turn, concatenated.</summary>
    public string Text => _text.ToString();

    private readonly System.Text.StringBuilder _text = new();

    /// <summary>Runs to the end; true when it ended with <c>response.completed</c>.</summary>
    public async Task<bool> RunAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Usage total = Usage.Empty;
        for (int step = 1; ; step++)
        {
            Requests.Add(request);
            TurnResult turn = await RunTurnAsync(request, cancellationToken);
            if (turn.Error is not null)
            {
                _writer.WriteError(turn.Error.Message, turn.Error.Code);
                return false;
            }

            total = Add(total, turn.Usage);
            if (ToolOutputs is null || turn.Calls.Count == 0)
            {
                _writer.WriteCompleted(total);
                return true;
            }

            if (step >= MaxSteps)
            {
                _writer.WriteError($"tool loop exceeded max steps ({MaxSteps}): the model still called {turn.Calls[^1].Name}", "max_steps_exceeded");
                return false;
            }

            var results = new List<ChatMessage>(turn.Calls.Count);
            foreach (ToolCallPart call in turn.Calls)
            {
                if (!ToolOutputs.TryGetValue(call.Name, out string? output))
                {
                    _writer.WriteError(ToolOutputs.Count == 0 ? "no outputs configured" : $"no output configured for {call.Name}", "tool_output_missing");
                    return false;
                }

                string value = output == "$args" ? call.Arguments : output;
                results.Add(new ChatMessage(ChatRole.Tool, [new ToolResultPart(call.CallId) { Content = [new TextPart(value)] }]));
            }

            var assistant = new List<ContentPart>();
            if (turn.Text.Length > 0)
            {
                assistant.Add(new TextPart(turn.Text));
            }

            assistant.AddRange(turn.Calls);
            request = request with
            {
                Messages = [.. request.Messages, new ChatMessage(ChatRole.Assistant, assistant), .. results],
                // A forced choice would force a call on every turn and never end the loop.
                ToolChoice = request.ToolChoice is { Mode: ToolChoiceMode.Required or ToolChoiceMode.Named } ? ToolChoice.Auto : request.ToolChoice,
            };
        }
    }

    private async Task<TurnResult> RunTurnAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        _writer.BeginTurn();
        var turn = new TurnResult();
        var started = new Dictionary<int, (string ItemId, string CallId, string Name)>();
        Usage? reported = null;
        await foreach (StreamEvent streamEvent in _stream(request, cancellationToken).WithCancellation(cancellationToken))
        {
            if (streamEvent is ResponseStartedEvent start)
            {
                _writer.WriteCreated(start.ResponseId, start.Model);
                continue;
            }

            if (streamEvent is StreamErrorEvent error)
            {
                turn.Error = error.Error;
                return turn;
            }

            // A provider that names no response still gets one, so every run starts with response.created.
            _writer.WriteCreated("resp_" + Guid.NewGuid().ToString("N"), request.Model);
            switch (streamEvent)
            {
                case TextDeltaEvent text:
                    _writer.WriteTextDelta(text.Text);
                    turn.TextBuilder.Append(text.Text);
                    _text.Append(text.Text);
                    break;
                case ToolCallStartedEvent call:
                    string itemId = "item_" + call.CallId;
                    started[call.Index] = (itemId, call.CallId, call.Name);
                    _writer.WriteToolCallAdded(itemId, call.CallId, call.Name);
                    break;
                case ToolCallCompletedEvent done:
                    if (!started.TryGetValue(done.Index, out var info))
                    {
                        info = ("item_" + done.Call.CallId, done.Call.CallId, done.Call.Name);
                        _writer.WriteToolCallAdded(info.ItemId, info.CallId, info.Name);
                    }

                    // The final arguments in one delta (the provider has already reconciled deltas with the done
                    // snapshot), so the deltas always concatenate to the done item's arguments.
                    if (done.Call.Arguments.Length > 0)
                    {
                        _writer.WriteArgumentsDelta(info.ItemId, done.Call.Arguments);
                    }

                    _writer.WriteToolCallDone(info.ItemId, done.Call.CallId, done.Call.Name, done.Call.Arguments);
                    turn.Calls.Add(done.Call);
                    break;
                case UsageEvent usage:
                    reported = usage.Usage;
                    break;
                case ResponseCompletedEvent completed:
                    turn.Usage = completed.Usage == Usage.Empty && reported is not null ? reported : completed.Usage;
                    turn.Completed = true;
                    break;
            }
        }

        if (!turn.Completed)
        {
            turn.Error = BackendError.Upstream(502, "the upstream stream ended before the response completed");
        }

        return turn;
    }

    private static Usage Add(Usage a, Usage b) => new()
    {
        InputTokens = a.InputTokens + b.InputTokens,
        OutputTokens = a.OutputTokens + b.OutputTokens,
        CachedInputTokens = a.CachedInputTokens + b.CachedInputTokens,
        CacheCreationInputTokens = a.CacheCreationInputTokens + b.CacheCreationInputTokens,
        ReasoningTokens = a.ReasoningTokens + b.ReasoningTokens,
    };

    private sealed class TurnResult
    {
        public System.Text.StringBuilder TextBuilder { get; } = new();
        public string Text => TextBuilder.ToString();
        public List<ToolCallPart> Calls { get; } = [];
        public Usage Usage { get; set; } = Usage.Empty;
        public bool Completed { get; set; }
        public BackendError? Error { get; set; }
    }
}
