using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Hosting;

/// <summary>
/// Gives memory back to the OS when a busy spell ends (issue 14, item 12). The GC returns freed regions to the OS only
/// when it runs, and an idle server allocates nothing that would make it run: after a burst of 19 MB requests RSS
/// stayed at its peak for good. Every <see cref="Period"/> this looks at what the process allocated: when the last
/// period was quiet (under <see cref="QuietBytes"/>) but more than <see cref="BusyBytes"/> were allocated since the
/// last trim, it runs one aggressive, compacting full collection, which also decommits the free heap, and two more
/// after <see cref="FollowUpDelay"/> for what the shared array pools let go only then.
/// </summary>
/// <remarks>A quiet period costs one <see cref="GC.GetTotalAllocatedBytes"/> read; a trim, a blocking collection of
/// a heap that is mostly garbage by then (~10 ms here), three times per busy spell.</remarks>
internal sealed partial class IdleMemoryTrimmer(TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>Allocation in one period below which the process counts as idle.</summary>
    internal const long QuietBytes = 4 * 1024 * 1024;

    /// <summary>Allocation since the last trim above which a trim is worth its pause.</summary>
    internal const long BusyBytes = 64 * 1024 * 1024;

    /// <summary>
    /// How long after a trim the follow-up collections run. The shared array pools (<c>ArrayPool.Shared</c>, which the
    /// runtime's JSON, text and HTTP code rent from) drop a thread's cached array only when two gen-2 collections at
    /// least 30 s apart have seen it unused, and an idle process has no collections of its own: the first follow-up lets
    /// the pools drop those arrays, the second (one period later) gives their memory back.
    /// </summary>
    internal static readonly TimeSpan FollowUpDelay = TimeSpan.FromSeconds(35);

    // The collections of each generation up to the last trim (the trim's own included): the log line tells how often
    // the GC ran under the load that came before, a full (gen 2) collection under load being the costly kind.
    private (int Gen0, int Gen1, int Gen2) _collectionsAtLastTrim;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        long lastTick = GC.GetTotalAllocatedBytes();
        long lastTrim = lastTick;
        int followUps = 0;
        DateTimeOffset followUpAt = default;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = GC.GetTotalAllocatedBytes();
                bool quiet = now - lastTick < QuietBytes;
                if (quiet && now - lastTrim > BusyBytes)
                {
                    Trim(now - lastTrim);
                    followUps = 2;
                    followUpAt = time.GetUtcNow() + FollowUpDelay;
                    lastTrim = now = GC.GetTotalAllocatedBytes();
                }
                else if (quiet && followUps > 0 && time.GetUtcNow() >= followUpAt)
                {
                    Trim(now - lastTrim);
                    followUps--;
                    lastTrim = now = GC.GetTotalAllocatedBytes();
                }

                lastTick = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void Trim(long allocated)
    {
        MemorySnapshot before = MemorySnapshot.Take();
        (int gen0, int gen1, int gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Log.Trimmed(logger, allocated >> 20, gen0 - _collectionsAtLastTrim.Gen0, gen1 - _collectionsAtLastTrim.Gen1,
            gen2 - _collectionsAtLastTrim.Gen2, before, MemorySnapshot.Take());
        _collectionsAtLastTrim = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    }

    // Event ids 2300-2300; next free: 2301.
    private static partial class Log
    {
        [LoggerMessage(2300, LogLevel.Information, "Idle after {AllocatedMb} MB of allocations and {Collections} collections ({Gen1} reaching gen 1, {Gen2} full): memory trimmed from {Before} to {After}", EventName = "MemoryTrimmed")]
        public static partial void Trimmed(ILogger logger, long allocatedMb, int collections, int gen1, int gen2, MemorySnapshot before, MemorySnapshot after);
    }
}
