namespace Godex.Server.FrontDoors;

/// <summary>
/// Bounds the memory a burst of large requests takes (issue 14, item 12). A large body, the JSON read from it and its
/// upstream copy live on the large-object heap, whose garbage only a full collection frees and which the GC does not
/// compact by default; left to its own budget, the GC let a burst of 19 MB requests reach ~1.4 GB of RSS. So once the
/// large bodies read since the last full collection add up to <see cref="CollectAfterBytes"/>, the request that
/// crosses it runs one compacting full collection before it goes on.
/// </summary>
/// <remarks>
/// This replaced the process-wide <c>GCConserveMemory</c> setting, which bounded the same burst by making the GC give
/// memory back and zero fresh memory for every small request too: its <c>memset</c> of new allocation contexts was
/// 2.7–3.4 µs of a ~90 µs request against ~1 µs without it (bench (a) under <c>perf</c>, docs/performance.md
/// "eleventh session"). Small requests never get here.
/// </remarks>
internal sealed class LargeBodies(Action collect)
{
    /// <summary>A body from this size on counts: far above the 85 KB from which arrays go to the large-object heap.</summary>
    internal const int Threshold = 1024 * 1024;

    /// <summary>
    /// Large-body bytes between two collections: one per 16 MB body or larger (each leaves ~8× its size in large objects),
    /// one per sixteen 1 MB bodies.
    /// </summary>
    internal const long CollectAfterBytes = 16L * 1024 * 1024;

    /// <summary>
    /// The process's: an aggressive full collection, which compacts the large-object heap too and gives the freed memory
    /// back to the OS at once (otherwise the GC keeps freed regions committed, decommits them a little at a time, and RSS
    /// stays near the peak).
    /// </summary>
    public static readonly LargeBodies Process = new(() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));

    private long _sinceCollection;

    /// <summary>Counts a body just read; collects when the large bodies since the last collection reach the bound.</summary>
    public void Seen(int bodyBytes)
    {
        if (bodyBytes < Threshold || Interlocked.Add(ref _sinceCollection, bodyBytes) < CollectAfterBytes)
        {
            return;
        }

        // One request collects; the others that cross the bound meanwhile find the count reset and go on.
        if (Interlocked.Exchange(ref _sinceCollection, 0) >= CollectAfterBytes)
        {
            collect();
        }
    }
}
