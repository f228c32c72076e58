using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;
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
internal sealed class ChatCompletionsStreamReader : IUpstreamStreamReader
{
    private readonly IReadOnlySet<string> _customTools;
    private readonly List<Call> _calls = [];
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

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(sse.Data);
        }
        catch (JsonException ex)
        {
            Fail(output, BackendError.Upstream(502, $"the upstream sent an invalid chunk: {ex.Message}"));
            return;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (ChatCompletionsErrors.FromRoot(root) is { } error)
            {
                Fail(output, error);
                return;
            }

            if (!_started)
            {
                _started = true;
                _completionId = String(root, "id"u8) ?? "";
                output.Add(new ResponseStartedEvent(_completionId, String(root, "model"u8) ?? ""));
            }

            if (root.TryGetProperty("choices"u8, out JsonElement choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement choice in choices.EnumerateArray())
                {
                    // Only the first choice is the answer (godex never asks for n > 1); an index that is not a whole number
                    // (1.5, 1e10) is read as no index, never thrown on.
                    if (choice.ValueKind == JsonValueKind.Object && (!choice.TryGetProperty("index"u8, out JsonElement index) || index.ValueKind != JsonValueKind.Number || !index.TryGetInt32(out int n) || n == 0))
                    {
                        OnChoice(choice, output);
                    }
                }
            }

            if (root.TryGetProperty("usage"u8, out JsonElement usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = ReadUsage(usage);
            }
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

    /// <summary>The canonical usage of an OpenAI <c>usage</c> object.</summary>
    public static Usage ReadUsage(JsonElement usage)
    {
        long cached = 0, reasoning = 0;
        if (usage.TryGetProperty("prompt_tokens_details"u8, out JsonElement prompt) && prompt.ValueKind == JsonValueKind.Object)
        {
            cached = Number(prompt, "cached_tokens"u8);
        }

        if (usage.TryGetProperty("completion_tokens_details"u8, out JsonElement completion) && completion.ValueKind == JsonValueKind.Object)
        {
            reasoning = Number(completion, "reasoning_tokens"u8);
        }

        return new Usage
        {
            InputTokens = Number(usage, "prompt_tokens"u8),
            OutputTokens = Number(usage, "completion_tokens"u8),
            CachedInputTokens = cached,
            ReasoningTokens = reasoning,
        };
    }

    private void OnChoice(JsonElement choice, List<StreamEvent> output)
    {
        if (choice.TryGetProperty("delta"u8, out JsonElement delta) && delta.ValueKind == JsonValueKind.Object)
        {
            if ((String(delta, "reasoning_content"u8) ?? String(delta, "reasoning"u8)) is { Length: > 0 } reasoning)
            {
                output.Add(new ReasoningDeltaEvent(reasoning));
            }

            if (String(delta, "content"u8) is { Length: > 0 } text)
            {
                output.Add(new TextDeltaEvent(text));
            }

            if (String(delta, "refusal"u8) is { Length: > 0 } refusal)
            {
                output.Add(new RefusalDeltaEvent(refusal));
            }

            if (delta.TryGetProperty("tool_calls"u8, out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement call in calls.EnumerateArray())
                {
                    OnToolCallDelta(call, output);
                }
            }
        }

        if (String(choice, "finish_reason"u8) is { Length: > 0 } finish)
        {
            // Calls are done once the finish reason is read (the same chunk may have carried them whole).
            _finishReason = finish;
            CompleteCalls(output);
        }
    }

    private void OnToolCallDelta(JsonElement delta, List<StreamEvent> output)
    {
        if (delta.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string? id = String(delta, "id"u8);
        int? upstreamIndex = delta.TryGetProperty("index"u8, out JsonElement index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out int i) ? i : null;
        JsonElement function = delta.TryGetProperty("function"u8, out JsonElement f) && f.ValueKind == JsonValueKind.Object ? f : default;
        string? name = function.ValueKind == JsonValueKind.Object ? String(function, "name"u8) : null;
        string? arguments = function.ValueKind == JsonValueKind.Object ? String(function, "arguments"u8) : null;

        // Keyed by index; without one, by id; without either, a fragment continues the call before it.
        Call? call = upstreamIndex is int key ? _calls.Find(c => c.UpstreamIndex == key && !c.Done)
            : id is not null ? _calls.Find(c => c.Id == id && !c.Done)
            : _calls.FindLast(c => !c.Done);
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

    private static string CustomInput(string arguments)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(arguments);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(ChatCompletionsRequestWriter.CustomToolInput, out JsonElement input) && input.ValueKind == JsonValueKind.String)
            {
                return input.GetString() ?? "";
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

    private static string? String(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Number(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : 0;

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
