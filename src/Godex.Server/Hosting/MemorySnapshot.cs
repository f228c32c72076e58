using System.Globalization;

namespace Godex.Server.Hosting;

/// <summary>
/// What the process holds, in MB: the resident set and the GC's view of it (heap, fragmentation, committed, the
/// large-object heap, gen 2). Logged around every idle trim so that a high RSS can be told apart: live objects,
/// fragmented heap, committed-but-free GC memory, or memory outside the GC heap (working set minus committed).
/// </summary>
internal readonly record struct MemorySnapshot(long WorkingSetMb, long HeapMb, long FragmentedMb, long CommittedMb, long Gen2Mb, long LargeObjectsMb)
{
    public static MemorySnapshot Take()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.Any);
        ReadOnlySpan<GCGenerationInfo> generations = info.GenerationInfo;
        return new MemorySnapshot(
            Environment.WorkingSet >> 20,
            info.HeapSizeBytes >> 20,
            info.FragmentedBytes >> 20,
            info.TotalCommittedBytes >> 20,
            generations.Length > 2 ? generations[2].SizeAfterBytes >> 20 : 0,
            generations.Length > 3 ? generations[3].SizeAfterBytes >> 20 : 0);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"rss {WorkingSetMb} MB (gc heap {HeapMb}, fragmented {FragmentedMb}, committed {CommittedMb}, gen2 {Gen2Mb}, loh {LargeObjectsMb})");
}
