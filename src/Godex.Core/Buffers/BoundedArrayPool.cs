using System.Buffers;

namespace Godex.Core.Buffers;

/// <summary>
/// <see cref="ArrayPool{T}.Shared"/> for arrays up to <see cref="MaxPooledLength"/>; larger ones come from the GC and are
/// never pooled. The shared pool keeps what it is given (one array per size class in each thread's cache, more per
/// core) and trims only on gen-2 collections, which an idle server does not have: after requests of 19 MB its 32 MiB
/// buffers stayed in the process for good (issue 14, RSS 2.66 GB). A large body is rare; the GC frees its array with
/// the request, and the idle collection (<c>IdleMemoryTrimmer</c>) returns it to the OS.
/// </summary>
public static class BoundedArrayPool
{
    /// <summary>The largest array kept in the shared pool: 1 MiB (the pool's own buckets are powers of two).</summary>
    public const int MaxPooledLength = 1024 * 1024;

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes: pooled up to 1 MiB, else a fresh one.</summary>
    public static byte[] Rent(int minimumLength) =>
        minimumLength <= MaxPooledLength ? ArrayPool<byte>.Shared.Rent(minimumLength) : GC.AllocateUninitializedArray<byte>(minimumLength);

    /// <summary>
    /// Takes back out of the shared pool, and drops for the GC, the array a library just rented there for about
    /// <paramref name="rentedLength"/> bytes and gave back, when that is more than <see cref="MaxPooledLength"/>.
    /// Call it on the thread that made the library call, right after it: the pool keeps the last array a thread gave
    /// back in that thread's own slot, which is where <see cref="ArrayPool{T}.Rent"/> looks first.
    /// </summary>
    /// <remarks>
    /// <see cref="System.Text.Json.JsonDocument"/> rents its table of tokens at the payload's length (plus one 12-byte
    /// row) for payloads over 4 MiB and returns it when parsing ends: after 200 requests of 19 MB the shared pool held
    /// nine of those 32 MiB arrays (288 MB of live large-object heap after a full compacting collection, issue 14).
    /// Should the pool have nothing of that size, this costs one array that is garbage at once.
    /// </remarks>
    public static void Evict(long rentedLength)
    {
        if (rentedLength > MaxPooledLength && rentedLength <= Array.MaxLength)
        {
            _ = ArrayPool<byte>.Shared.Rent((int)rentedLength);
        }
    }

    /// <summary>Gives back an array from <see cref="Rent"/>: pooled sizes go back to the pool, larger ones to the GC.</summary>
    public static void Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > 0 && array.Length <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
