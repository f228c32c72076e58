using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;

namespace Godex.Server.Observability;

/// <summary>
/// The live request events of a running proxy, for whoever listens now: <c>GET /admin/events</c> sends them as
/// server-sent events (<c>godex proxy attach</c> reads them; a web dashboard can use the same endpoint with an
/// <c>EventSource</c>). With no listener, publishing costs one volatile read. A listener that falls behind loses its
/// oldest events (each listener has its own bounded queue), never slows requests.
/// </summary>
internal sealed class LiveEventFeed
{
    private const int QueuePerListener = 1024;

    private readonly Lock _gate = new();
    private Channel<LiveEvent>[] _listeners = [];

    /// <summary>True while at least one listener is attached.</summary>
    public bool HasListeners => Volatile.Read(ref _listeners).Length > 0;

    /// <summary>Sends <paramref name="outcome"/> to every listener as a <c>request</c> event.</summary>
    public void Publish(RequestOutcome outcome)
    {
        Channel<LiveEvent>[] listeners = Volatile.Read(ref _listeners);
        if (listeners.Length == 0)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "request"u8);
            outcome.WriteFields(writer);
            writer.WriteEndObject();
        }

        var item = new LiveEvent("request", buffer.WrittenMemory);
        foreach (Channel<LiveEvent> listener in listeners)
        {
            listener.Writer.TryWrite(item);
        }
    }

    /// <summary>
    /// Attaches a listener now (events published from here on reach it); dispose it to detach. Attaching is separate
    /// from reading so that a caller can tell its client "attached" only once nothing can be missed.
    /// </summary>
    public Listener Attach()
    {
        var listener = new Listener(this, Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(QueuePerListener)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }));
        lock (_gate)
        {
            _listeners = [.. _listeners, listener.Channel];
        }

        return listener;
    }

    private void Detach(Channel<LiveEvent> channel)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != channel)];
        }
    }

    /// <summary>One attached listener: its events in order, oldest dropped when it falls behind.</summary>
    public sealed class Listener(LiveEventFeed feed, Channel<LiveEvent> channel) : IDisposable
    {
        internal Channel<LiveEvent> Channel => channel;

        public IAsyncEnumerable<LiveEvent> ReadAllAsync(CancellationToken cancellationToken) => channel.Reader.ReadAllAsync(cancellationToken);

        public void Dispose() => feed.Detach(channel);
    }
}

/// <summary>One event of the feed: its SSE event name and its JSON data.</summary>
internal readonly record struct LiveEvent(string Name, ReadOnlyMemory<byte> Json);
