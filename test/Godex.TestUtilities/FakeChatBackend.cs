using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Godex.Core.Backends;
using Godex.Core.Conversation;

namespace Godex.TestUtilities;

/// <summary>
/// An <see cref="IChatBackend"/> driven by a script: a delegate that yields canonical events (and may delay between
/// them). Records every request it got, and whether a stream was cancelled or abandoned before it finished.
/// </summary>
public sealed class FakeChatBackend : IChatBackend
{
    private readonly Func<ChatRequest, CancellationToken, IAsyncEnumerable<StreamEvent>> _script;
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeChatBackend(string name, Func<ChatRequest, CancellationToken, IAsyncEnumerable<StreamEvent>> script)
    {
        Name = name;
        _script = script;
    }

    /// <summary>A backend that answers every request with the same events.</summary>
    public FakeChatBackend(string name, params StreamEvent[] events)
        : this(name, (_, ct) => Replay(events, TimeSpan.Zero, ct))
    {
    }

    public string Name { get; }

    /// <summary>What <see cref="ListModelsAsync"/> returns; throw from it to simulate a failing discovery.</summary>
    public Func<CancellationToken, Task<IReadOnlyList<ModelInfo>>> ListModels { get; set; } =
        _ => Task.FromResult<IReadOnlyList<ModelInfo>>([]);

    public ConcurrentQueue<ChatRequest> Requests { get; } = new();

    public int ListModelsCalls => _listModelsCalls;

    private int _listModelsCalls;

    /// <summary>True once a stream ended early: its token fired or the consumer disposed it before the terminal event.</summary>
    public bool WasCancelled => _cancelled.Task.IsCompleted;

    /// <summary>Completes when a stream is cancelled or abandoned.</summary>
    public Task Cancelled => _cancelled.Task;

    public IAsyncEnumerable<StreamEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        return StreamCoreAsync(request, cancellationToken);
    }

    public Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listModelsCalls);
        return ListModels(cancellationToken);
    }

    /// <summary>Yields <paramref name="events"/> with <paramref name="delay"/> before each.</summary>
    public static async IAsyncEnumerable<StreamEvent> Replay(IEnumerable<StreamEvent> events, TimeSpan delay, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (StreamEvent streamEvent in events)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return streamEvent;
        }
    }

    private async IAsyncEnumerable<StreamEvent> StreamCoreAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool finished = false;
        try
        {
            await foreach (StreamEvent streamEvent in _script(request, cancellationToken).WithCancellation(cancellationToken))
            {
                // A consumer may stop right after the terminal event without asking for more: that is not a cancellation.
                finished = streamEvent is ResponseCompletedEvent or StreamErrorEvent;
                yield return streamEvent;
            }


            finished = true;
        }
        finally
        {
            if (!finished || cancellationToken.IsCancellationRequested)
            {
                _cancelled.TrySetResult();
            }
        }
    }
}
