using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;
using Godex.Core.Sse;

namespace Godex.Benchmarks;

/// <summary>
/// The streaming edges of one turn, without sockets: <see cref="SseFrameReader"/> framing the recorded upstream bytes
/// (<c>bench/fixtures/anthropic-message.sse</c>, 9 events; <c>codex-response.sse</c>, 8 events) from a
/// <see cref="MemoryStream"/>; the same bytes through the reader and the dialect parser
/// (<see cref="MessagesStreamReader"/>, <see cref="ResponsesStreamReader"/>) to canonical events, as
/// <c>UpstreamEventStream</c> drives them; and <see cref="SseWriter"/> writing one event to <see cref="Stream.Null"/>
/// (per event: <see cref="WriterEventsPerInvoke"/> writes per call, one reused writer, as an endpoint holds it for a
/// response). The reader and parser rows are per whole stream. Shows what a streamed turn pays per event before and
/// after the model, and which side allocates.
/// </summary>
[MemoryDiagnoser]
public class SseBenchmarks : IDisposable
{
    private const int WriterEventsPerInvoke = 100;

    private MemoryStream _anthropic = null!;
    private MemoryStream _codex = null!;
    private SseWriter _writer = null!;
    private byte[] _chunkJson = [];
    private byte[] _anthropicJson = [];
    private readonly List<StreamEvent> _events = new(32);

    [GlobalSetup]
    public void Setup()
    {
        _anthropic = new MemoryStream(File.ReadAllBytes(Path.Combine(BenchFixtures.Directory, "anthropic-message.sse")), writable: false);
        _codex = new MemoryStream(File.ReadAllBytes(Path.Combine(BenchFixtures.Directory, "codex-response.sse")), writable: false);
        _writer = new SseWriter(Stream.Null);
        _chunkJson = """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}"""u8.ToArray();
        _anthropicJson = File.ReadAllBytes(Path.Combine(BenchFixtures.Directory, "anthropic-message.json"));

        // Fail in setup when a fixture stops parsing to a completed turn.
        foreach (Func<Task<int>> parse in new Func<Task<int>>[] { ParseAnthropicStream, ParseCodexStream, () => Task.FromResult(ParseAnthropicWholeAnswer()) })
        {
            if (parse().GetAwaiter().GetResult() == 0 || _events[^1] is not ResponseCompletedEvent)
            {
                throw new InvalidOperationException("a recorded stream did not end in response completed");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _writer?.Dispose();
        _anthropic?.Dispose();
        _codex?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frames anthropic-message.sse (1 KB, 9 events).</summary>
    [Benchmark]
    public Task<int> ReadAnthropicSse() => CountEvents(_anthropic);

    /// <summary>Frames codex-response.sse (3.6 KB, 8 events).</summary>
    [Benchmark]
    public Task<int> ReadCodexSse() => CountEvents(_codex);

    /// <summary>anthropic-message.sse → reader → <see cref="MessagesStreamReader"/> → canonical events.</summary>
    [Benchmark]
    public Task<int> ParseAnthropicStream() => Parse(_anthropic, new MessagesStreamReader());

    /// <summary>
    /// The same answer as one JSON body (anthropic-message.json, what a non-streamed upstream call returns) read in one
    /// <see cref="Utf8JsonReader"/> pass: the least a non-streamed answer's reader could cost, against
    /// <see cref="ParseAnthropicStream"/> (issue 21's "non-streamed upstream call or an aggregated stream").
    /// </summary>
    [Benchmark]
    public int ReadAnthropicJsonBody()
    {
        var reader = new Utf8JsonReader(_anthropicJson);
        int tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    /// <summary>
    /// anthropic-message.json → <see cref="MessagesStreamReader"/> → canonical events, as <c>UpstreamEventStream</c>
    /// reads a whole answer (one event of type <c>message</c>): what godex pays for a short non-streamed answer since
    /// it asks for one, against <see cref="ParseAnthropicStream"/>.
    /// </summary>
    [Benchmark]
    public int ParseAnthropicWholeAnswer()
    {
        _events.Clear();
        var parser = new MessagesStreamReader();
        parser.Feed(new SseEvent("message", _anthropicJson), _events);
        return _events.Count;
    }

    /// <summary>codex-response.sse → reader → <see cref="ResponsesStreamReader"/> → canonical events.</summary>
    [Benchmark]
    public Task<int> ParseCodexStream() => Parse(_codex, new ResponsesStreamReader());

    /// <summary>One pre-serialized <c>event: content_block_delta</c> frame (the Anthropic front door's shape).</summary>
    [Benchmark(OperationsPerInvoke = WriterEventsPerInvoke)]
    public async Task WriteNamedEvent()
    {
        for (int i = 0; i < WriterEventsPerInvoke; i++)
        {
            await _writer.WriteAsync("content_block_delta", _chunkJson, CancellationToken.None);
        }
    }

    /// <summary>One unnamed frame serialized through the writer's reused <see cref="Utf8JsonWriter"/> (the chat front door's shape).</summary>
    [Benchmark(OperationsPerInvoke = WriterEventsPerInvoke)]
    public async Task WriteJsonEvent()
    {
        for (int i = 0; i < WriterEventsPerInvoke; i++)
        {
            await _writer.WriteAsync(null, static w => WriteChunk(w), CancellationToken.None);
        }
    }

    private static async Task<int> CountEvents(MemoryStream body)
    {
        body.Position = 0;
        int count = 0;
        using var reader = new SseFrameReader(body);
        while (await reader.MoveNextAsync(CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    private async Task<int> Parse(MemoryStream body, IUpstreamStreamReader parser)
    {
        body.Position = 0;
        _events.Clear();
        using var reader = new SseFrameReader(body);
        while (await reader.MoveNextAsync(CancellationToken.None))
        {
            if (reader.Current.IsDone)
            {
                continue;
            }

            parser.Feed(reader.Current.ToEvent(), _events);
            if (parser.IsCompleted)
            {
                break;
            }
        }

        parser.Complete(_events);
        return _events.Count;
    }

    private static void WriteChunk(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, "chatcmpl-bench"u8);
        w.WriteString("object"u8, "chat.completion.chunk"u8);
        w.WriteNumber("created"u8, 1_741_290_958);
        w.WriteString("model"u8, "claude-sonnet-4-5"u8);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, 0);
        w.WriteStartObject("delta"u8);
        w.WriteString("content"u8, " there"u8);
        w.WriteEndObject();
        w.WriteNull("finish_reason"u8);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
