using System.Text;
using BenchmarkDotNet.Attributes;
using Godex.Core.Conversation;
using Godex.Core.Tokens;

namespace Godex.Benchmarks;

/// <summary>
/// The cost of sizing a ~100 KB prompt (a long coding conversation: prose, code and tool output) with the real o200k
/// tokenizer, beside a pass over the same characters (what the 4-characters-a-token heuristic it replaced cost). Decides whether the per-request pre-count of
/// <c>message_start.usage.input_tokens</c> can afford the tokenizer (MessagesEndpoints runs it beside the upstream call).
/// </summary>
[MemoryDiagnoser]
public class TokenCountBenchmarks
{
    private ChatRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        O200kTokenCounter.Count("warm up: load the vocabulary before measuring");
        var messages = new List<ChatMessage>();
        var turn = new StringBuilder();
        for (int i = 0; turn.Length < 100_000; i++)
        {
            string text = $"Turn {i}: please refactor `ParseRequest` so that invalid fields produce a 400 naming the field. "
                + "public static bool TryParse(ReadOnlySpan<byte> json, out Request? request) { request = null; return false; }\n"
                + $"$ dotnet test --filter Parse{i}\nPassed!  - Failed: 0, Passed: {i * 7}, Skipped: 0 — 0.{i % 10}s\n";
            turn.Append(text);
            messages.Add(new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, text));
        }

        _request = new ChatRequest { Model = "gpt-5.2-codex", Messages = messages };
    }

    [Benchmark(Baseline = true)]
    public long CharactersOverFour()
    {
        long characters = 0;
        foreach (ChatMessage message in _request.Messages)
        {
            characters += message.Text.Length;
        }

        return (characters + 3) / 4;
    }

    [Benchmark]
    public long O200k() => PromptTokenCount.Count(_request, CancellationToken.None);
}
