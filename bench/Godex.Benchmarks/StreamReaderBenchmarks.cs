using BenchmarkDotNet.Attributes;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;

namespace Godex.Benchmarks;

/// <summary>
/// The translated paths' upstream stream readers alone (issue 21): a recorded stream's events, framed once in setup,
/// fed to a fresh <see cref="MessagesStreamReader"/>, <see cref="ResponsesStreamReader"/> or
/// <see cref="ChatCompletionsStreamReader"/> and completed, as
/// <c>UpstreamEventStream</c> drives them. One row is one whole stream; allocations are per stream. The fixtures:
/// <c>bench/fixtures/anthropic-message.sse</c> (text, 9 events), <c>test/fixtures/anthropic-sdk-python/tool_use_response.sse</c>
/// (text then a tool call streamed as <c>input_json_delta</c>s, 15 events),
/// <c>thinking-signature-refusal.synthetic.sse</c> (thinking with a signature, 14 events);
/// <c>bench/fixtures/codex-response.sse</c> (text, 9 events), <c>test/fixtures/openai-responses-real/o3-function-call.stream.sse</c>
/// (reasoning item and a function call, 26 events, each carrying the response object on created/in_progress/completed)
/// and <c>o3-reasoning-summary-text.stream.ELIDED.sse</c> (reasoning summary deltas, 21 events);
/// <c>bench/fixtures/chat-completion.sse</c> (gpt-4o text deltas, a <c>choices: []</c> usage chunk and <c>[DONE]</c>, 34
/// events), <c>test/fixtures/openai-python-chat-recorded/gpt-4o-single-tool-call.sse</c> (one tool call whose arguments
/// arrive in 14 deltas, usage, <c>[DONE]</c>, 18 events) and <c>gpt-4o-parallel-tool-calls.sse</c> (two tool calls, index
/// 0 and 1, usage, <c>[DONE]</c>, 26 events).
/// </summary>
[MemoryDiagnoser]
public class StreamReaderBenchmarks
{
    private readonly List<StreamEvent> _output = new(64);
    private SseEvent[] _messagesText = [];
    private SseEvent[] _messagesToolUse = [];
    private SseEvent[] _messagesThinking = [];
    private SseEvent[] _responsesText = [];
    private SseEvent[] _responsesFunctionCall = [];
    private SseEvent[] _responsesReasoning = [];
    private SseEvent[] _chatText = [];
    private SseEvent[] _chatToolCall = [];
    private SseEvent[] _chatParallelToolCalls = [];

    [GlobalSetup]
    public void Setup()
    {
        string bench = BenchFixtures.Directory;
        string test = Path.Combine(bench, "..", "..", "test", "fixtures");
        _messagesText = Frame(Path.Combine(bench, "anthropic-message.sse"));
        _messagesToolUse = Frame(Path.Combine(test, "anthropic-sdk-python", "tool_use_response.sse"));
        _messagesThinking = Frame(Path.Combine(test, "anthropic-sdk-python", "thinking-signature-refusal.synthetic.sse"));
        _responsesText = Frame(Path.Combine(bench, "codex-response.sse"));
        _responsesFunctionCall = Frame(Path.Combine(test, "openai-responses-real", "o3-function-call.stream.sse"));
        _responsesReasoning = Frame(Path.Combine(test, "openai-responses-real", "o3-reasoning-summary-text.stream.ELIDED.sse"));
        _chatText = Frame(Path.Combine(bench, "chat-completion.sse"));
        _chatToolCall = Frame(Path.Combine(test, "openai-python-chat-recorded", "gpt-4o-single-tool-call.sse"));
        _chatParallelToolCalls = Frame(Path.Combine(test, "openai-python-chat-recorded", "gpt-4o-parallel-tool-calls.sse"));

        // Fail in setup when a fixture stops reading to a finished turn.
        foreach (Func<int> read in new Func<int>[] { MessagesText, MessagesToolUse, MessagesThinking, ResponsesText, ResponsesFunctionCall, ResponsesReasoning, ChatCompletionsText, ChatCompletionsToolCall, ChatCompletionsParallelToolCalls })
        {
            if (read() == 0 || _output[^1] is not ResponseCompletedEvent)
            {
                throw new InvalidOperationException("a recorded stream did not end in response completed");
            }
        }
    }

    /// <summary>anthropic-message.sse: message_start, one text block, message_delta, message_stop.</summary>
    [Benchmark]
    public int MessagesText() => Read(_messagesText, new MessagesStreamReader());

    /// <summary>tool_use_response.sse: a text block, then a tool_use block with input_json_delta parts.</summary>
    [Benchmark]
    public int MessagesToolUse() => Read(_messagesToolUse, new MessagesStreamReader());

    /// <summary>thinking-signature-refusal.synthetic.sse: thinking deltas, a signature, text.</summary>
    [Benchmark]
    public int MessagesThinking() => Read(_messagesThinking, new MessagesStreamReader());

    /// <summary>codex-response.sse: created, text deltas, output_item.done, completed with usage.</summary>
    [Benchmark]
    public int ResponsesText() => Read(_responsesText, new ResponsesStreamReader());

    /// <summary>o3-function-call.stream.sse: a reasoning item and a function call with argument deltas.</summary>
    [Benchmark]
    public int ResponsesFunctionCall() => Read(_responsesFunctionCall, new ResponsesStreamReader());

    /// <summary>o3-reasoning-summary-text.stream.ELIDED.sse: reasoning summary deltas, then text.</summary>
    [Benchmark]
    public int ResponsesReasoning() => Read(_responsesReasoning, new ResponsesStreamReader());

    /// <summary>chat-completion.sse: text deltas, finish_reason stop, the usage chunk, [DONE].</summary>
    [Benchmark]
    public int ChatCompletionsText() => Read(_chatText, new ChatCompletionsStreamReader());

    /// <summary>gpt-4o-single-tool-call.sse: one tool call with argument deltas, the usage chunk, [DONE].</summary>
    [Benchmark]
    public int ChatCompletionsToolCall() => Read(_chatToolCall, new ChatCompletionsStreamReader());

    /// <summary>gpt-4o-parallel-tool-calls.sse: two tool calls with argument deltas, the usage chunk, [DONE].</summary>
    [Benchmark]
    public int ChatCompletionsParallelToolCalls() => Read(_chatParallelToolCalls, new ChatCompletionsStreamReader());

    private int Read(SseEvent[] events, IUpstreamStreamReader reader)
    {
        _output.Clear();
        foreach (SseEvent sse in events)
        {
            reader.Feed(sse, _output);
            if (reader.IsCompleted)
            {
                break;
            }
        }

        reader.Complete(_output);
        return _output.Count;
    }

    private static SseEvent[] Frame(string path)
    {
        using var body = new MemoryStream(File.ReadAllBytes(path), writable: false);
        using var reader = new SseFrameReader(body);
        var events = new List<SseEvent>();
        while (reader.MoveNextAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
        {
            // [DONE] is kept: the Chat Completions reader completes on it (the other streams have none). The frame's
            // bytes belong to the reader's buffer: keep a copy.
            SseEvent sse = reader.Current.ToEvent();
            events.Add(sse with { Data = sse.Data.ToArray() });
        }

        return [.. events];
    }
}
