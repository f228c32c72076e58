using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;

namespace Godex.Benchmarks;

/// <summary>
/// What translation costs one request on the hot path, apart from any I/O: parsing a <c>/v1/chat/completions</c> body
/// (<c>bench/fixtures/chat-anthropic.json</c>) into the canonical <see cref="ChatRequest"/>, writing the canonical
/// request as an Anthropic or a Codex upstream body, the "~100 KB" request of load scenario (f) (71.7 KB: built here byte for byte as
/// <c>bench/lib/gen-large.py</c> writes <c>chat-large.json</c>) through parse + Anthropic body, and rendering one
/// canonical turn (100 text deltas, then a tool call with 8 argument deltas, usage and the finish) as
/// <c>chat.completion.chunk</c> frames into <see cref="Stream.Null"/>. Tells how much of the gateway's per-request
/// overhead is translation, and whether a large prompt makes it matter.
/// </summary>
[MemoryDiagnoser]
public class TranslatorBenchmarks
{
    private const string DefaultModel = "gpt-5.2-codex";

    private readonly MessagesWriterOptions _anthropic = new(8192, null);
    private readonly string _codexInstructions = new CodexBackendOptions().DefaultInstructions;
    private readonly ChatCompletionHeader _header = new("chatcmpl-bench", 1_741_290_958, "claude-sonnet-4-5");
    private byte[] _chatBody = [];
    private byte[] _largeBody = [];
    private ChatRequest _request = null!;
    private StreamEvent[] _turn = [];

    [GlobalSetup]
    public void Setup()
    {
        _chatBody = File.ReadAllBytes(Path.Combine(BenchFixtures.Directory, "chat-anthropic.json"));
        _largeBody = LargeChatBody();
        _request = Parse(_chatBody);
        _turn = Turn();

        // Fail in setup, not in a measured call, when a fixture stops translating.
        _ = Parse(_largeBody);
        if (MessagesRequestWriter.Translate(_request, _anthropic, oauth: false).Length == 0
            || ResponsesRequestWriter.Translate(_request, _codexInstructions).Length == 0)
        {
            throw new InvalidOperationException("a translator wrote an empty body");
        }
    }

    /// <summary>The chat fixture's body → canonical request.</summary>
    [Benchmark]
    public ChatRequest ParseChatRequest() => Parse(_chatBody);

    /// <summary>Canonical request → Anthropic Messages body (API key, no OAuth identity block).</summary>
    [Benchmark]
    public byte[] AnthropicBody() => MessagesRequestWriter.Translate(_request, _anthropic, oauth: false);

    /// <summary>Canonical request → Codex (Responses API) body.</summary>
    [Benchmark]
    public byte[] CodexBody() => ResponsesRequestWriter.Translate(_request, _codexInstructions);

    /// <summary>The 71.7 KB chat body (40 turns with tool calls, 24 tools) → canonical → Anthropic body.</summary>
    [Benchmark]
    public byte[] LargeParseAndAnthropicBody() => MessagesRequestWriter.Translate(Parse(_largeBody), _anthropic, oauth: false);

    /// <summary>One turn (~120 canonical events) → chat completion chunks, with the per-request writer and renderer.</summary>
    [Benchmark]
    public async Task<bool> RenderChatChunks()
    {
        using var sse = new SseWriter(Stream.Null);
        var renderer = new ChatCompletionsStreamWriter(sse, _header, includeUsage: true);
        foreach (StreamEvent streamEvent in _turn)
        {
            if (await renderer.WriteAsync(streamEvent, CancellationToken.None))
            {
                break;
            }
        }

        return renderer.IsCompleted;
    }

    private static ChatRequest Parse(byte[] body) =>
        ChatCompletionsRequestReader.TryParseRequest(body, DefaultModel, out ChatCompletionsRequest? parsed, out BackendError? error)
            ? parsed.Request
            : throw new InvalidOperationException(error.Message);

    private static StreamEvent[] Turn()
    {
        var events = new List<StreamEvent> { new ResponseStartedEvent("msg_bench", "claude-sonnet-4-5") };
        string[] words = Paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < 100; i++)
        {
            events.Add(new TextDeltaEvent((i == 0 ? "" : " ") + words[i % words.Length]));
        }

        const string arguments = """{"path": "src/module_1.cs", "pattern": "TryParse", "limit": 20}""";
        events.Add(new ToolCallStartedEvent(0, "toolu_bench", "tool_01"));
        for (int start = 0, step = (arguments.Length + 7) / 8; start < arguments.Length; start += step)
        {
            events.Add(new ToolCallArgumentsDeltaEvent(0, arguments.Substring(start, Math.Min(step, arguments.Length - start))));
        }

        events.Add(new ToolCallCompletedEvent(0, new ToolCallPart("toolu_bench", "tool_01", arguments)));
        var usage = new Usage { InputTokens = 1_200, OutputTokens = 140 };
        events.Add(new UsageEvent(usage));
        events.Add(new ResponseCompletedEvent(FinishReason.ToolCalls, usage) { UpstreamReason = "tool_use" });
        return [.. events];
    }

    private const string Paragraph = "The build failed in the linker step because the native toolchain was missing a library; "
        + "after installing it the tests passed, but two of them were slow on the shared machine. ";

    /// <summary><c>chat-large.json</c> of <c>bench/lib/gen-large.py</c>, byte for byte.</summary>
    private static byte[] LargeChatBody()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("model", "claude-sonnet-4-5");
            w.WriteNumber("max_tokens", 1024);
            w.WriteStartArray("messages");
            WriteMessage(w, "system", "You are a careful coding agent. " + Repeat(Paragraph, 4));
            for (int turn = 0; turn < 40; turn++)
            {
                WriteMessage(w, "user", $"Turn {turn}: please look at file src/module_{turn}.cs and tell me what it does. " + Repeat(Paragraph, 2));
                string callId = $"call_{turn:D4}";
                w.WriteStartObject();
                w.WriteString("role", "assistant");
                w.WriteString("content", "Let me read it.");
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteString("id", callId);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", $"tool_{turn % 24:D2}");
                w.WriteString("arguments", $$"""{"path": "src/module_{{turn}}.cs", "limit": 20}""");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("role", "tool");
                w.WriteString("tool_call_id", callId);
                w.WriteString("content", $"// module {turn}\n" + Repeat(Paragraph, 3));
                w.WriteEndObject();
            }

            WriteMessage(w, "user", "Say hello");
            w.WriteEndArray();
            w.WriteStartArray("tools");
            for (int i = 0; i < 24; i++)
            {
                w.WriteStartObject();
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", $"tool_{i:D2}");
                w.WriteString("description", $"Tool number {i}: " + Repeat(Paragraph, 3));
                w.WriteStartObject("parameters");
                w.WriteString("type", "object");
                w.WriteStartObject("properties");
                WriteProperty(w, "path", "string", "A file path relative to the work dir.");
                WriteProperty(w, "pattern", "string", "A pattern to look for.");
                WriteProperty(w, "limit", "integer", "At most this many results.");
                w.WriteEndObject();
                w.WriteStartArray("required");
                w.WriteStringValue("path");
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return stream.ToArray();

        static string Repeat(string text, int count) => string.Concat(Enumerable.Repeat(text, count));

        static void WriteMessage(Utf8JsonWriter w, string role, string content)
        {
            w.WriteStartObject();
            w.WriteString("role", role);
            w.WriteString("content", content);
            w.WriteEndObject();
        }

        static void WriteProperty(Utf8JsonWriter w, string name, string type, string description)
        {
            w.WriteStartObject(name);
            w.WriteString("type", type);
            w.WriteString("description", description);
            w.WriteEndObject();
        }
    }
}

/// <summary>Finds <c>bench/fixtures</c> from wherever BenchmarkDotNet runs the build (under the repository's artifacts).</summary>
internal static class BenchFixtures
{
    public static string Directory { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Godex.slnx")))
            {
                return Path.Combine(dir.FullName, "bench", "fixtures");
            }
        }

        throw new InvalidOperationException($"no Godex.slnx above {AppContext.BaseDirectory}");
    }
}
