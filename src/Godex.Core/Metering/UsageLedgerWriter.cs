using System.Threading.Channels;
using Godex.Core.Limits;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Core.Metering;

/// <summary>
/// The <see cref="IUsageRecorder"/> the proxy uses: <see cref="Record"/> counts the tokens against the key's limits in
/// memory and queues the row on a bounded channel; one background task writes whatever is queued in a single
/// transaction, gathering for <see cref="CoalesceWindow"/> after the first row arrives. So rows are batched even at low
/// load (one fsync per window, not per request), and a row reaches the disk well under
/// <see cref="MaxFlushDelay"/> after its request ended (the bound a <c>kill -9</c> can lose). A failed write is retried
/// every second and logged; rows are never dropped silently (a full queue, which means the disk has been stuck for a
/// long time, logs every row it drops).
/// </summary>
public sealed partial class UsageLedgerWriter : IUsageRecorder, IAsyncDisposable
{
    /// <summary>The documented bound between a request's end and its row being durable.</summary>
    public static readonly TimeSpan MaxFlushDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long the writer gathers rows after the first one arrives before one transaction writes them all.</summary>
    public static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(10);

    public const int QueueCapacity = 65_536;
    private const int MaxBatch = 2_000;

    private readonly Channel<UsageRecord> _queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly IUsageLedger _ledger;
    private readonly KeyLimiter? _limiter;
    private readonly Action? _afterFlush;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();
    private long _queued;
    private long _written;

    /// <param name="ledger">Where rows go.</param>
    /// <param name="limiter">Told about usage at once (quota counters) and again after each write (balances).</param>
    /// <param name="afterFlush">Runs after a committed batch that changed a key's balance (the key cache reloads balances).</param>
    /// <param name="logger">Write failures.</param>
    public UsageLedgerWriter(IUsageLedger ledger, KeyLimiter? limiter = null, Action? afterFlush = null, ILogger? logger = null)
    {
        _ledger = ledger;
        _limiter = limiter;
        _afterFlush = afterFlush;
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Rows accepted so far.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Rows committed so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Rows accepted and not yet committed (the <c>godex_ledger_queue_depth</c> gauge).</summary>
    public long Pending => Queued - Written;

    /// <summary>Told how long each committed batch took to write (the ledger write-latency histogram); null = nobody asks.</summary>
    public Action<TimeSpan>? BatchWritten { get; init; }

    public void Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _limiter?.AddUsage(record.KeyId, record.Timestamp, record.TotalTokens, record.CostMicros);
        if (_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _queued);
            return;
        }

        Log.Dropped(_logger, record.KeyId, record.RequestId, record.InputTokens, record.OutputTokens);
    }

    /// <summary>Waits until every row recorded before the call is committed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        long target = Queued;
        while (Written < target)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_loop.IsCompleted)
            {
                return;
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<UsageRecord>(MaxBatch);
        var perKey = new Dictionary<string, long>(StringComparer.Ordinal);
        ChannelReader<UsageRecord> reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Coalesce, briefly: one transaction per request would cost ~50 µs each; 100 ms batches (~700 rows at c=1 in
            // bench (a), ~4 ms of CPU in one go) made the p99 of requests on the same core. 10 ms keeps every batch
            // short (commits are not fsynced: SqliteUsageLedger) and stays far inside MaxFlushDelay.
            try
            {
                await Task.Delay(CoalesceWindow, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping: write what is queued now.
            }

            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out UsageRecord? record))
            {
                batch.Add(record);
            }

            bool debited = await WriteWithRetryAsync(batch);
            perKey.Clear();
            foreach (UsageRecord record in batch)
            {
                perKey[record.KeyId] = perKey.GetValueOrDefault(record.KeyId) + record.TotalTokens;
            }

            // Only when a balance moved: otherwise nothing the key cache holds changed, and asking the store for its version
            // after every batch was a query (and a connection) per batch; other changes reach the cache by its poll.
            try
            {
                if (debited)
                {
                    _afterFlush?.Invoke();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.AfterFlushFailed(_logger, ex);
            }

            foreach ((string keyId, long tokens) in perKey)
            {
                _limiter?.Flushed(keyId, tokens);
            }

            Interlocked.Add(ref _written, batch.Count);
        }
    }

    /// <summary>Writes the batch, retrying every second; true when it changed a key's balance.</summary>
    private async Task<bool> WriteWithRetryAsync(List<UsageRecord> batch)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                bool debited = await _ledger.AppendAsync(batch, CancellationToken.None);
                BatchWritten?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                return debited;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (_stopping.IsCancellationRequested && attempt > 3)
                {
                    Log.GaveUp(_logger, batch.Count, ex);
                    return false;
                }

                Log.WriteFailed(_logger, batch.Count, attempt, ex);
                await Task.Delay(MaxFlushDelay, CancellationToken.None);
            }
        }
    }

    /// <summary>Stops accepting rows and writes every queued one.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    // Next event id: 1404.
    private static partial class Log
    {
        [LoggerMessage(1400, LogLevel.Error, "Usage ledger queue full: dropped the row of request {RequestId} (key {KeyId}, {Input} in / {Output} out tokens)", EventName = "UsageDropped")]
        public static partial void Dropped(ILogger logger, string keyId, string requestId, long input, long output);

        [LoggerMessage(1401, LogLevel.Error, "Writing {Count} usage rows failed (attempt {Attempt}); retrying in 1 s", EventName = "UsageWriteFailed")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);

        [LoggerMessage(1402, LogLevel.Error, "Shutting down: gave up writing {Count} usage rows", EventName = "UsageWriteAbandoned")]
        public static partial void GaveUp(ILogger logger, int count, Exception exception);

        [LoggerMessage(1403, LogLevel.Warning, "Refreshing keys after a usage write failed", EventName = "UsageAfterFlushFailed")]
        public static partial void AfterFlushFailed(ILogger logger, Exception exception);
    }
}
