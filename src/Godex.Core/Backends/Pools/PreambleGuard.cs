using System.Net;
using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Sse;

namespace Godex.Core.Backends.Pools;

/// <summary>
/// Makes an upstream that accepted a request (200, an event stream) and then refused it in-band before any content —
/// the Codex backend's <c>server_is_overloaded</c> right after <c>response.created</c> (gateways.md §2.2), Anthropic's
/// <c>overloaded_error</c> event, an OpenAI-compatible provider's <c>data: {"error":…}</c> — look like the refusal it
/// is: an HTTP status with the error in the provider's own error shape. The send path then treats it as every other
/// refusal before the first byte: retried, or failed over to the next account, invisible to the client.
/// </summary>
/// <remarks>
/// Only the events before the first content are read here (at most 8, at most 64 KiB), within the send path's wait for
/// the response headers; they are replayed in front of the rest of the body, byte for byte, when the stream is fine.
/// Refusals the client caused (a 4xx other than 429) are left in the stream as they came.
/// </remarks>
internal sealed class PreambleGuard(HttpMessageHandler inner, IRelayRules rules, Func<BackendError, byte[]> errorBody) : DelegatingHandler(inner)
{
    private const int MaxEvents = 8;

    /// <summary>A guard for an upstream whose refusals are in OpenAI's shape (the Codex backend, OpenAI-compatible providers).</summary>
    public static PreambleGuard OpenAIShaped(HttpMessageHandler inner, IRelayRules rules) => new(inner, rules, RefusalBodies.OpenAI);

    /// <summary>A guard for the Anthropic API.</summary>
    public static PreambleGuard AnthropicShaped(HttpMessageHandler inner, IRelayRules rules) => new(inner, rules, RefusalBodies.Anthropic);
    private const int MaxBytes = 64 * 1024;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK
            || response.Content.Headers.ContentType?.MediaType?.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase) != true)
        {
            return response;
        }

        Stream body;
        byte[] buffer = new byte[8192];
        int length = 0;
        BackendError? refusal = null;
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellationToken);
            int scanned = 0;
            int events = 0;
            bool decided = false;
            while (!decided && length < MaxBytes && events < MaxEvents)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                int read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                while (!decided && TryNextEvent(buffer.AsSpan(0, length), ref scanned, out SseFrame frame, out bool comment))
                {
                    events++;
                    if (comment)
                    {
                        continue;
                    }

                    RelayFrameKind kind = rules.Classify(frame);
                    if (kind == RelayFrameKind.Preamble)
                    {
                        continue;
                    }

                    decided = true;
                    if (kind is RelayFrameKind.Error or RelayFrameKind.Failed && rules.ErrorOf(frame) is { Status: 429 or >= 500 } error)
                    {
                        refusal = error;
                    }
                }
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (refusal is not null)
        {
            body.Dispose();
            var refused = new HttpResponseMessage((HttpStatusCode)refusal.Status)
            {
                RequestMessage = response.RequestMessage,
                Content = new ByteArrayContent(errorBody(refusal)),
            };
            refused.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            foreach ((string name, IEnumerable<string> values) in response.Headers)
            {
                refused.Headers.TryAddWithoutValidation(name, values);
            }

            response.Dispose();
            return refused;
        }

        var replay = new StreamContent(new ReplayStream(buffer, length, body));
        foreach ((string name, IEnumerable<string> values) in response.Content.Headers)
        {
            replay.Headers.TryAddWithoutValidation(name, values);
        }

        response.Content = replay;
        return response;
    }

    /// <summary>The next whole event after <paramref name="offset"/> (LF, CRLF or CR line ends); false when none is complete yet.</summary>
    private static bool TryNextEvent(ReadOnlySpan<byte> buffer, ref int offset, out SseFrame frame, out bool comment)
    {
        frame = default;
        comment = false;
        ReadOnlySpan<byte> rest = buffer[offset..];
        int end = -1, separator = 0;
        for (int i = 0; i + 1 < rest.Length; i++)
        {
            if (rest[i] == '\n' && rest[i + 1] == '\n')
            {
                (end, separator) = (i, 2);
                break;
            }

            if (rest[i] == '\r' && i + 3 < rest.Length && rest[i + 1] == '\n' && rest[i + 2] == '\r' && rest[i + 3] == '\n')
            {
                (end, separator) = (i, 4);
                break;
            }
        }

        if (end < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> text = rest[..end];
        string eventType = "";
        var data = new List<byte>();
        foreach (Range line in text.SplitAny("\r\n"u8))
        {
            ReadOnlySpan<byte> field = text[line];
            if (field.StartsWith("data:"u8))
            {
                ReadOnlySpan<byte> value = field[5..];
                if (data.Count > 0)
                {
                    data.Add((byte)'\n');
                }

                data.AddRange(value.Length > 0 && value[0] == ' ' ? value[1..] : value);
            }
            else if (field.StartsWith("event:"u8))
            {
                eventType = Encoding.UTF8.GetString(field[6..]).Trim();
            }
        }

        byte[] raw = rest[..(end + separator)].ToArray();
        offset += end + separator;
        if (data.Count == 0 && eventType.Length == 0)
        {
            // A comment or keep-alive: it decides nothing.
            comment = true;
            return true;
        }

        frame = new SseFrame(eventType, raw, data.ToArray(), endsRead: false);
        return true;
    }

    /// <summary>The bytes read while peeking, then the rest of the upstream body.</summary>
    private sealed class ReplayStream(byte[] buffer, int length, Stream rest) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            if (_position < length)
            {
                int n = Math.Min(destination.Length, length - _position);
                buffer.AsSpan(_position, n).CopyTo(destination);
                _position += n;
                return n;
            }

            return rest.Read(destination);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (_position < length)
            {
                int n = Math.Min(destination.Length, length - _position);
                buffer.AsSpan(_position, n).CopyTo(destination.Span);
                _position += n;
                return ValueTask.FromResult(n);
            }

            return rest.ReadAsync(destination, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                rest.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
