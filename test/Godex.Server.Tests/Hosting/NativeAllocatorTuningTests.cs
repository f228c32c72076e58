using Godex.Server.Hosting;

namespace Godex.Server.Tests.Hosting;

/// <summary>glibc's arenas are capped by godex itself, so a long-running proxy's native memory stays flat (issue 14).</summary>
public sealed class NativeAllocatorTuningTests
{
    [Fact]
    public void OnGlibc_CapsTheArenas_UnlessTheEnvironmentAlreadyTunesMalloc()
    {
        string applied = NativeAllocatorTuning.EnsureApplied();

        bool operatorTuned = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null;
        bool glibc = OperatingSystem.IsLinux() && (File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"));
        if (operatorTuned)
        {
            Assert.Equal("glibc, as MALLOC_* in the environment says", applied);
        }
        else if (glibc)
        {
            Assert.Equal("glibc, 2 arenas, mmap above 128 KiB", applied); // mallopt accepted both settings
        }
        else
        {
            Assert.Contains("system default", applied);
        }

        Assert.Same(applied, NativeAllocatorTuning.EnsureApplied()); // applied once per process
    }
}
