using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Godex.Sse;

/// <summary>
/// Reads server-sent events from an upstream body. Framing follows the HTML spec via the runtime's
/// <see cref="SseParser"/>: multi-line <c>data:</c> joined with LF, comment lines and <c>id:</c>/<c>retry:</c> skipped,
/// CR, LF and CRLF line ends, lines of any length (the original's 1 MiB cap broke long tool arguments).
/// Events with empty data are skipped; <c>[DONE]</c> is returned so that callers can tell a clean end.
/// </summary>
public static class SseEventReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        SseParser<ReadOnlyMemory<byte>> parser = SseParser.Create(stream, static (_, data) => (ReadOnlyMemory<byte>)data.ToArray());
        await foreach (SseItem<ReadOnlyMemory<byte>> item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.Data.IsEmpty)
            {
                continue;
            }

            yield return new SseEvent(item.EventType, item.Data);
        }
    }
}
