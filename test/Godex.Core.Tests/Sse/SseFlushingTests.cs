using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using Godex.Core.Sse;

namespace Godex.Core.Tests.Sse;

/// <summary>A buffered <see cref="SseWriter"/> sends once per upstream read: events that are ready together leave together.</summary>
public sealed class SseFlushingTests
{
    [Fact]
    public async Task EventsReadyTogether_LeaveInOneSend_AndNothingWaitsForTheNextRead()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var sends = new List<string>();
        var pipe = new RecordingPipeWriter(sends);
        var secondRead = new TaskCompletionSource();
        using var sse = new SseWriter(pipe);

        // Two events arrive in one read, then the upstream goes quiet until the test lets the third through.
        await using IAsyncEnumerator<string> events = Upstream(secondRead.Task, cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.True(await events.MoveNextFlushingAsync(sse, cancellationToken));
        await sse.WriteAsync(null, Encoding.UTF8.GetBytes(events.Current), cancellationToken);
        Assert.True(await events.MoveNextFlushingAsync(sse, cancellationToken));
        await sse.WriteAsync(null, Encoding.UTF8.GetBytes(events.Current), cancellationToken);
        Assert.Empty(sends);

        ValueTask<bool> third = events.MoveNextFlushingAsync(sse, cancellationToken);
        Assert.Equal(["data: 1\n\ndata: 2\n\n"], sends); // sent while the third is awaited, not after it
        secondRead.SetResult();
        Assert.True(await third);
        await sse.WriteAsync(null, Encoding.UTF8.GetBytes(events.Current), cancellationToken);
        Assert.False(await events.MoveNextFlushingAsync(sse, cancellationToken)); // the end was ready at once: no send yet
        await sse.FlushAsync(cancellationToken); // the relay's last flush, after its terminal event

        Assert.Equal(["data: 1\n\ndata: 2\n\n", "data: 3\n\n"], sends);
    }

    [Fact]
    public async Task AFlushTheClientPushesBackOn_IsFinishedBeforeTheMoveCompletes()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var flushed = new TaskCompletionSource<FlushResult>();
        var pipe = new RecordingPipeWriter([]) { PendingFlush = flushed.Task };
        using var sse = new SseWriter(pipe);
        var upstreamRead = new TaskCompletionSource();
        await using IAsyncEnumerator<string> events = OneLate(upstreamRead.Task, cancellationToken).GetAsyncEnumerator(cancellationToken);

        ValueTask<bool> next = events.MoveNextFlushingAsync(sse, cancellationToken);
        upstreamRead.SetResult();
        await Task.Delay(50, cancellationToken);
        Assert.False(next.IsCompleted); // the event is there, the client's send is not done

        flushed.SetResult(new FlushResult(isCanceled: false, isCompleted: false));
        Assert.True(await next);
        Assert.Equal("late", events.Current);
    }

    [Fact]
    public async Task AFlushThatFails_LetsThePendingMoveFinish_ThenThrowsItsOwnFailure()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        var pipe = new RecordingPipeWriter([]) { FlushFailure = new IOException("the client is gone") };
        using var sse = new SseWriter(pipe);
        var upstreamRead = new TaskCompletionSource();
        await using IAsyncEnumerator<string> events = OneLate(upstreamRead.Task, cancellationToken).GetAsyncEnumerator(cancellationToken);

        ValueTask<bool> next = events.MoveNextFlushingAsync(sse, cancellationToken);
        Assert.False(next.IsCompleted); // the move is still in flight: disposing the enumerator now would find it so

        upstreamRead.SetResult();
        IOException failure = await Assert.ThrowsAsync<IOException>(async () => await next);
        Assert.Equal("the client is gone", failure.Message);
    }

    private static async IAsyncEnumerable<string> OneLate(Task read, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await read.WaitAsync(cancellationToken);
        yield return "late";
    }

    private static async IAsyncEnumerable<string> Upstream(Task secondRead, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return "1";
        yield return "2";
        await secondRead.WaitAsync(cancellationToken);
        yield return "3";
    }

    /// <summary>A pipe writer that records what each flush sends.</summary>
    private sealed class RecordingPipeWriter(List<string> sends) : PipeWriter
    {
        private readonly List<byte> _pending = [];
        private byte[] _span = new byte[4096];

        /// <summary>When set, every flush waits for it (a client that pushes back).</summary>
        public Task<FlushResult>? PendingFlush { get; init; }

        /// <summary>When set, every flush throws it (a client that is gone).</summary>
        public Exception? FlushFailure { get; init; }

        public override void Advance(int bytes) => _pending.AddRange(_span.AsSpan(0, bytes));

        public override Memory<byte> GetMemory(int sizeHint = 0) => _span = new byte[Math.Max(sizeHint, 4096)];

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (FlushFailure is not null)
            {
                throw FlushFailure;
            }

            if (PendingFlush is not null)
            {
                return new ValueTask<FlushResult>(PendingFlush);
            }

            if (_pending.Count > 0)
            {
                sends.Add(Encoding.UTF8.GetString([.. _pending]));
                _pending.Clear();
            }

            return ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: false));
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }
}
