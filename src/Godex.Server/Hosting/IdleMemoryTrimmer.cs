using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Hosting;

/// <summary>
/// Gives memory back to the OS when a busy spell ends (issue 14, item 12). The GC returns freed regions to the OS only
/// when it runs, and an idle server allocates nothing that would make it run: after a burst of 19 MB requests RSS
/// stayed at its peak for good. Every <see cref="Period"/> this looks at what the process allocated: when the last
/// period was quiet (under <see cref="QuietBytes"/>) but more than <see cref="BusyBytes"/> were allocated since the
/// last trim, it runs one aggressive, compacting full collection, which also decommits the free heap.
/// </summary>
/// <remarks>A quiet period costs one <see cref="GC.GetTotalAllocatedBytes"/> read; a trim, a blocking collection of
/// a heap that is mostly garbage by then (~10 ms here), at most once per busy spell.</remarks>
internal sealed partial class IdleMemoryTrimmer(TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>Allocation in one period below which the process counts as idle.</summary>
    internal const long QuietBytes = 4 * 1024 * 1024;

    /// <summary>Allocation since the last trim above which a trim is worth its pause.</summary>
    internal const long BusyBytes = 64 * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        long lastTick = GC.GetTotalAllocatedBytes();
        long lastTrim = lastTick;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = GC.GetTotalAllocatedBytes();
                if (now - lastTick < QuietBytes && now - lastTrim > BusyBytes)
                {
                    MemorySnapshot before = MemorySnapshot.Take();
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    Log.Trimmed(logger, (now - lastTrim) >> 20, before, MemorySnapshot.Take());
                    now = GC.GetTotalAllocatedBytes();
                    lastTrim = now;
                }

                lastTick = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    // Event ids 2300-2300; next free: 2301.
    private static partial class Log
    {
        [LoggerMessage(2300, LogLevel.Information, "Idle after {AllocatedMb} MB of allocations: memory trimmed from {Before} to {After}", EventName = "MemoryTrimmed")]
        public static partial void Trimmed(ILogger logger, long allocatedMb, MemorySnapshot before, MemorySnapshot after);
    }
}
