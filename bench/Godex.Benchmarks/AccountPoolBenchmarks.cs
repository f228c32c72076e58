using BenchmarkDotNet.Attributes;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Benchmarks;

/// <summary>
/// The routing decision an account pool adds to each request (issue 17's budget: at most 5 µs): the conversation's
/// key from a translated request (<see cref="SessionKeys.Of(ChatRequest)"/>), then <see cref="AccountPool.Choose"/>
/// for a conversation already bound to its account, and for a new one (bound on the way, over 4 accounts).
/// </summary>
[MemoryDiagnoser]
public class AccountPoolBenchmarks : IDisposable
{
    private AccountPool _pool = null!;
    private ChatRequest _request = null!;
    private long _next;

    [Params("round-robin", "least-used")]
    public string Strategy { get; set; } = "round-robin";

    [GlobalSetup]
    public void Setup()
    {
        _pool = new AccountPool("codex", ["a", "b", "c", "d"], PoolStrategies.Parse(Strategy), new PoolOptions(), TimeProvider.System, null, null, NullLogger.Instance);
        _request = new ChatRequest
        {
            Model = "gpt-5.2-codex",
            Messages =
            [
                new ChatMessage(ChatRole.System, [new TextPart("You are a coding agent. Follow the repository's rules.")]),
                new ChatMessage(ChatRole.User, [new TextPart("Fix the failing test in src/parser.rs and explain the change.")]),
                new ChatMessage(ChatRole.Assistant, [new TextPart("Done: the tokenizer skipped a trailing newline.")]),
            ],
        };
        _pool.Choose(SessionKeys.Of(_request));
    }

    public void Dispose()
    {
        _pool.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public PoolAccount? BoundConversation() => _pool.Choose(SessionKeys.Of(_request));

    [Benchmark]
    public PoolAccount? NewConversation() => _pool.Choose("s:conversation-" + Interlocked.Increment(ref _next));
}
