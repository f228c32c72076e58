using System.Runtime.InteropServices;

namespace Godex.Server.Hosting;

/// <summary>
/// Keeps glibc's malloc from growing godex's native memory for hours (issue 14, item 12). The managed heap of a long
/// soak stays flat, but the native memory under it (SQLite, the TLS stack, the runtime's own allocations, made from
/// whichever thread-pool thread runs) grew about 70 MB an hour: glibc gives each thread that meets contention an arena
/// of its own (up to 8 per core) and keeps their freed pages, and its mmap threshold rises with every large block freed,
/// so large buffers move from mmap (returned on free) into those arenas. Two arenas and a fixed 128 KiB threshold made
/// the 30-minute soak flat (+9.7 MB an hour, native ~55 MB instead of 85-110 MB) at no measurable cost per request.
/// </summary>
/// <remarks>
/// Applied once, before the server starts its threads. An operator who sets <c>MALLOC_ARENA_MAX</c> or
/// <c>MALLOC_MMAP_THRESHOLD_</c> keeps glibc's reading of them; on musl, macOS and Windows there is nothing to tune.
/// </remarks>
internal static partial class NativeAllocatorTuning
{
    internal const int ArenaMax = 2;
    internal const int MmapThreshold = 128 * 1024;

    // mallopt parameters from glibc's malloc.h.
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_ARENA_MAX = -8;

    private static readonly Lazy<string> Applied = new(Apply);

    /// <summary>Applies the tuning once per process and says what was done, for the startup log.</summary>
    internal static string EnsureApplied() => Applied.Value;

    private static string Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "system default";
        }

        if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null)
        {
            return "glibc, as MALLOC_* in the environment says";
        }

        try
        {
            bool arenas = mallopt(M_ARENA_MAX, ArenaMax) == 1;
            bool threshold = mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1;
            return arenas && threshold
                ? $"glibc, {ArenaMax} arenas, mmap above {MmapThreshold / 1024} KiB"
                : "glibc refused the tuning: system default";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return "not glibc: system default"; // musl and others: no per-thread arenas to cap
        }
    }

    // "libc.so.6" is glibc's soname: on a C library that is not glibc the load fails and nothing is tuned.
    [LibraryImport("libc.so.6")]
    private static partial int mallopt(int param, int value);
}
