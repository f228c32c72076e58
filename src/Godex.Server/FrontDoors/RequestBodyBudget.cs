namespace Godex.Server.FrontDoors;

/// <summary>
/// The bytes of request bodies godex holds in memory at once, across all requests (<c>proxy.max_inflight_body_bytes</c>).
/// A request whose body does not fit is answered 503 with <c>Retry-After</c> before more of it is read, so a burst of
/// large bodies cannot take the process's memory with it (issue 14: 60 requests of 19 MB took RSS to 2.66 GB).
/// </summary>
/// <remarks>
/// What a body costs beyond its own bytes (the parsed document, the text, the body sent upstream) is proportional to
/// it; docs/proxy.md gives the measured factor, so this budget bounds the memory of all requests in flight.
/// </remarks>
internal sealed class RequestBodyBudget
{
    private long _used;

    public RequestBodyBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>The most body bytes held at once.</summary>
    public long Capacity { get; }

    /// <summary>The body bytes held now.</summary>
    public long InUse => Volatile.Read(ref _used);

    /// <summary>Opens a request's account; dispose it (with the request) to give back all it took.</summary>
    public Lease Open() => new(this);

    private bool TryTake(long bytes)
    {
        long used = Volatile.Read(ref _used);
        while (true)
        {
            if (used + bytes > Capacity)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    /// <summary>One request's share of the budget.</summary>
    public sealed class Lease(RequestBodyBudget budget) : IDisposable
    {
        private long _held;

        /// <summary>Bytes this request holds.</summary>
        public long Held => _held;

        /// <summary>Takes <paramref name="bytes"/> more; false (nothing taken) when the budget has not that much left.</summary>
        public bool TryGrow(long bytes)
        {
            if (!budget.TryTake(bytes))
            {
                return false;
            }

            _held += bytes;
            return true;
        }

        public void Dispose()
        {
            long held = _held;
            _held = 0;
            if (held > 0)
            {
                Interlocked.Add(ref budget._used, -held);
            }
        }
    }
}
