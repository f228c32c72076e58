using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// An OpenAI-compatible server's Chat Completions chunks → canonical <see cref="StreamEvent"/>s, tolerant of the ways
/// such servers differ from OpenAI:
/// <list type="bullet">
/// <item>a tool call that arrives whole in the chunk that also carries <c>finish_reason</c> (Gemini's endpoint): calls
/// are completed when the finish reason is read, after that chunk's deltas;</item>
/// <item>a tool call without an <c>id</c> (Gemini, some local servers): a stable id is made from the completion id
/// and the call's index, so the next turn can answer it;</item>
/// <item>a call keyed by <c>index</c>, or without one (each new id is a new call);</item>
/// <item>usage in a final chunk with <c>choices: []</c> (OpenAI with <c>include_usage</c>), on the finishing chunk, or
/// never; <c>[DONE]</c> at the end or not: the answer completes when the body ends after a finish reason;</item>
/// <item><c>finish_reason: "stop"</c> after tool calls (older Ollama): reported as <c>tool_calls</c>;</item>
/// <item>reasoning as <c>delta.reasoning_content</c> (DeepSeek, vLLM) or <c>delta.reasoning</c> (OpenRouter, Ollama);</item>
/// <item>an <c>{"error": ...}</c> object inside the stream (OpenRouter): a terminal error.</item>
/// </list>
/// Tool calls of the request's custom (freeform) tools, sent upstream as functions of one <c>input</c> argument, come
/// back as custom calls with that input.
/// </summary>
internal sealed partial class ChatCompletionsStreamReader : IUpstreamStreamReader
{
    private readonly IReadOnlySet<string> _customTools;
    private readonly List<Call> _calls = [];
    private readonly ChunkFields _chunk = new();
    private bool _started;
    private string _completionId = "";
    private string? _finishReason;
    private Usage _usage = Usage.Empty;

    /// <param name="customTools">The names of the request's custom tools (<see cref="ChatCompletionsRequestWriter.CustomToolNames"/>).</param>
    public ChatCompletionsStreamReader(IReadOnlySet<string>? customTools = null)
    {
        _customTools = customTools ?? new HashSet<string>();
    }

    public bool IsCompleted { get; private set; }

    /// <inheritdoc />
    public bool ReadsWholeAnswers => false; // godex always asks this dialect for a stream

    public void Feed(SseEvent sse, List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsCompleted)
        {
            return;
        }

        if (sse.IsDone)
        {
            Complete(output);
            return;
        }

        ChunkFields chunk = _chunk;
        try
        {
            chunk.Read(sse.Data.Span, readIdentity: !_started);
        }
        catch (JsonException ex)
        {
            Fail(output, BackendError.Upstream(502, $"the upstream sent an invalid chunk: {ex.Message}"));
            return;
        }

        if (!chunk.IsObject)
        {
            return;
        }

        if (chunk.HasError)
        {
            Fail(output, ChatCompletionsErrors.Create(chunk.ErrorMessage, chunk.ErrorType, chunk.ErrorCode, chunk.ErrorParam));
            return;
        }

        if (!_started)
        {
            _started = true;
            _completionId = chunk.Id ?? "";
            output.Add(new ResponseStartedEvent(_completionId, chunk.Model ?? ""));
        }

        foreach (ChoiceFields choice in chunk.Choices)
        {
            // Only the first choice is the answer (godex never asks for n > 1); an index that is not a whole number
            // (1.5, 1e10) is read as no index, never thrown on.
            if (choice.Index is null or 0)
            {
                OnChoice(choice, chunk, output);
            }
        }

        if (chunk.HasUsage)
        {
            _usage = chunk.Usage;
        }
    }

    public void Complete(List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsCompleted)
        {
            return;
        }

        if (_finishReason is null)
        {
            Fail(output, BackendError.Upstream(502, "the upstream closed the stream before its finish_reason"));
            return;
        }

        CompleteCalls(output);
        IsCompleted = true;
        output.Add(new ResponseCompletedEvent(MapFinish(_finishReason, _calls.Count > 0), _usage) { UpstreamReason = _finishReason });
    }

    private void OnChoice(in ChoiceFields choice, ChunkFields chunk, List<StreamEvent> output)
    {
        if ((choice.ReasoningContent ?? choice.Reasoning) is { Length: > 0 } reasoning)
        {
            output.Add(new ReasoningDeltaEvent(reasoning));
        }

        if (choice.Content is { Length: > 0 } text)
        {
            output.Add(new TextDeltaEvent(text));
        }

        if (choice.Refusal is { Length: > 0 } refusal)
        {
            output.Add(new RefusalDeltaEvent(refusal));
        }

        for (int i = choice.CallsStart; i < choice.CallsStart + choice.CallsCount; i++)
        {
            OnToolCallDelta(chunk.Calls[i], output);
        }

        if (choice.FinishReason is { Length: > 0 } finish)
        {
            // Calls are done once the finish reason is read (the same chunk may have carried them whole).
            _finishReason = finish;
            CompleteCalls(output);
        }
    }

    private void OnToolCallDelta(in CallFields delta, List<StreamEvent> output)
    {
        string? id = delta.Id;
        int? upstreamIndex = delta.Index;
        string? name = delta.Name;
        string? arguments = delta.Arguments;

        Call? call = OpenCall(upstreamIndex, id);
        if (call is null)
        {
            call = new Call(_calls.Count, upstreamIndex) { Id = id ?? SyntheticId(_completionId, _calls.Count) };
            _calls.Add(call);
        }

        if (!string.IsNullOrEmpty(name) && call.Name.Length == 0)
        {
            call.Name = name;
        }

        if (!call.Started && call.Name.Length > 0)
        {
            call.Started = true;
            call.Custom = _customTools.Contains(call.Name);
            output.Add(new ToolCallStartedEvent(call.Index, call.Id, call.Name) { Kind = call.Custom ? ToolCallKind.Custom : ToolCallKind.Function });
            if (call.Arguments.Length > 0 && !call.Custom)
            {
                output.Add(new ToolCallArgumentsDeltaEvent(call.Index, call.Arguments.ToString()));
            }
        }

        if (!string.IsNullOrEmpty(arguments))
        {
            call.Arguments.Append(arguments);
            if (call.Started && !call.Custom)
            {
                // A custom call's input is the decoded argument: sent whole when the call completes.
                output.Add(new ToolCallArgumentsDeltaEvent(call.Index, arguments));
            }
        }
    }

    /// <summary>
    /// The unfinished call a delta continues: keyed by index; without one, by id; without either, the call before it.
    /// (Loops, not <c>List.Find</c> with a lambda: a capturing lambda was an allocation per delta.)
    /// </summary>
    private Call? OpenCall(int? upstreamIndex, string? id)
    {
        if (upstreamIndex is int key)
        {
            foreach (Call call in _calls)
            {
                if (call.UpstreamIndex == key && !call.Done)
                {
                    return call;
                }
            }

            return null;
        }

        if (id is not null)
        {
            foreach (Call call in _calls)
            {
                if (call.Id == id && !call.Done)
                {
                    return call;
                }
            }

            return null;
        }

        for (int i = _calls.Count - 1; i >= 0; i--)
        {
            if (!_calls[i].Done)
            {
                return _calls[i];
            }
        }

        return null;
    }

    private void CompleteCalls(List<StreamEvent> output)
    {
        foreach (Call call in _calls)
        {
            if (call.Done)
            {
                continue;
            }

            call.Done = true;
            if (!call.Started)
            {
                // A call that never named its function cannot be run; it is still reported so the turn is not lost.
                call.Started = true;
                output.Add(new ToolCallStartedEvent(call.Index, call.Id, call.Name));
            }

            string arguments = call.Arguments.ToString();
            ToolCallPart part = call.Custom
                ? new ToolCallPart(call.Id, call.Name, CustomInput(arguments)) { Kind = ToolCallKind.Custom }
                : new ToolCallPart(call.Id, call.Name, arguments.Length == 0 ? "{}" : arguments);
            output.Add(new ToolCallCompletedEvent(call.Index, part));
        }
    }

    /// <summary>A stable id for a call the upstream gave none: the same completion and index always give the same id.</summary>
    internal static string SyntheticId(string completionId, int index)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{completionId}#{index}"), hash);
        return "call_" + Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>
    /// A custom call's input: the <c>input</c> string of the one-argument object it was sent upstream as, or the whole
    /// text when it is not that object (not JSON, not an object, no string <c>input</c>: a repeated member counts by its
    /// last occurrence).
    /// </summary>
    private static string CustomInput(string arguments)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(arguments));
            string? input = null;
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals(ChatCompletionsRequestWriter.CustomToolInput))
                    {
                        input = JsonMemberReader.ReadString(ref reader);
                    }
                    else
                    {
                        JsonMemberReader.Skip(ref reader);
                    }
                }
            }
            else
            {
                reader.Skip();
            }

            JsonMemberReader.ReadToEnd(ref reader);
            if (input is not null)
            {
                return input;
            }
        }
        catch (JsonException)
        {
            // Not the one-argument object: the text is the input.
        }

        return arguments;
    }

    private static FinishReason MapFinish(string finish, bool madeCalls) => finish switch
    {
        "tool_calls" or "function_call" => FinishReason.ToolCalls,
        "stop" when madeCalls => FinishReason.ToolCalls,
        "stop" or "eos" or "end_turn" => FinishReason.Stop,
        "length" or "max_tokens" => FinishReason.Length,
        "content_filter" or "safety" => FinishReason.ContentFilter,
        _ => madeCalls ? FinishReason.ToolCalls : new FinishReason(finish),
    };

    private void Fail(List<StreamEvent> output, BackendError error)
    {
        IsCompleted = true;
        output.Add(new StreamErrorEvent(error));
    }

    private sealed class Call(int index, int? upstreamIndex)
    {
        public int Index { get; } = index;
        public int? UpstreamIndex { get; } = upstreamIndex;
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public StringBuilder Arguments { get; } = new();
        public bool Started { get; set; }
        public bool Custom { get; set; }
        public bool Done { get; set; }
    }
}
