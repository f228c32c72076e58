using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks.Sources;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Hosting;

/// <summary>
/// Gives the errors Kestrel answers by itself, before any middleware runs, the front door's error body (issue 14, item
/// 10): 400 (a malformed request line or header), 408 (the headers did not arrive within
/// <c>proxy.request_headers_timeout</c>), 413, 414 (request line too long), 431 (headers too large) and 505 (an HTTP
/// version other than 1.x) left Kestrel as
/// <c>Content-Length: 0</c>. Kestrel offers no hook for them, so this connection middleware wraps the connection's
/// pipes: the input side notes whether the request line being read targets <c>/v1/messages*</c> (Anthropic's error
/// shape) or anything else (OpenAI's), and the output side, when Kestrel writes such an empty error head, writes the
/// head with a JSON body instead.
/// </summary>
/// <remarks>
/// <para>The output check costs a few byte comparisons per write: a Kestrel error head starts with <c>HTTP/1.1 4</c> or <c>5</c>,
/// names one of these statuses, ends its headers in the same write and says <c>Content-Length: 0</c>; every response
/// of godex's own has a body (the front doors answer unknown /v1 URLs and methods themselves).</para>
/// <para>The rewrite happens before the bytes are committed (<see cref="PipeWriter.Advance"/>), so nothing is sent twice.</para>
/// </remarks>
internal static class HostErrorResponses
{
    private static readonly int[] s_statuses =
    [
        StatusCodes.Status400BadRequest,
        StatusCodes.Status408RequestTimeout,
        StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status414UriTooLong,
        StatusCodes.Status431RequestHeaderFieldsTooLarge,
        StatusCodes.Status505HttpVersionNotsupported,
    ];

    private static readonly Dictionary<int, (byte[] OpenAI, byte[] Anthropic)> s_bodies = s_statuses.ToDictionary(status => status, status =>
    {
        BackendError error = ErrorFor(status);
        return (Json(w => ChatCompletionsJsonWriter.WriteError(w, error)), Json(w => MessagesJsonWriter.WriteError(w, error)));
    });

    /// <summary>The connection middleware: <c>listenOptions.Use(HostErrorResponses.Wrap)</c>.</summary>
    public static ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        IDuplexPipe original = connection.Transport;
        var watcher = new RequestLineWatcher(original.Input);
        connection.Transport = new DuplexPipe(watcher, new ErrorBodyWriter(original.Output, watcher));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = original;
        }
    };

    /// <summary>The error each host status stands for; the messages say what the client can change.</summary>
    internal static BackendError ErrorFor(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => new BackendError(status, BackendErrorTypes.Timeout, "the request headers did not arrive in time (proxy.request_headers_timeout)") { Code = "request_timeout" },
        StatusCodes.Status413PayloadTooLarge => new BackendError(status, BackendErrorTypes.InvalidRequest, "the request is too large") { Code = "request_too_large" },
        StatusCodes.Status414UriTooLong => new BackendError(status, BackendErrorTypes.InvalidRequest, "the request line is too long (at most 8 KB)") { Code = "uri_too_long" },
        StatusCodes.Status431RequestHeaderFieldsTooLarge => new BackendError(status, BackendErrorTypes.InvalidRequest, "the request headers are too large (at most 32 KB and 100 headers)") { Code = "headers_too_large" },
        StatusCodes.Status505HttpVersionNotsupported => new BackendError(status, BackendErrorTypes.InvalidRequest, "godex speaks HTTP/1.1 (and 1.0) only") { Code = "http_version_not_supported" },
        _ => new BackendError(StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, "malformed HTTP request: the request line or a header is not valid HTTP/1.1") { Code = "bad_request" },
    };

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Kestrel's head for an error it answers itself, rewritten with a body; null when <paramref name="head"/> is not
    /// one (anything else passes through untouched).
    /// </summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> head, bool anthropic)
    {
        if (head.Length is < 16 or > 2048 || !head.StartsWith("HTTP/1.1 "u8) || !head.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }

        if (!int.TryParse(head.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status)
            || !s_bodies.TryGetValue(status, out (byte[] OpenAI, byte[] Anthropic) bodies))
        {
            return null;
        }

        ReadOnlySpan<byte> emptyLength = "\r\nContent-Length: 0\r\n"u8;
        int at = head.IndexOf(emptyLength);
        if (at < 0)
        {
            return null;
        }

        byte[] body = anthropic ? bodies.Anthropic : bodies.OpenAI;
        byte[] headers = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n"));
        var rewritten = new ArrayBufferWriter<byte>(head.Length + headers.Length + body.Length);
        rewritten.Write(head[..at]);
        rewritten.Write(headers);
        rewritten.Write(head[(at + emptyLength.Length)..]);
        rewritten.Write(body);
        return rewritten.WrittenSpan.ToArray();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes the input through, noting the target of each request line it sees at the start of a read.</summary>
    /// <remarks>
    /// A read that is not complete at once (most reads of a keep-alive connection: they wait for the next request) is
    /// completed through the watcher itself as its <see cref="IValueTaskSource{TResult}"/>, which the pipe's rule of
    /// one outstanding read makes reusable: no allocation per read.
    /// </remarks>
    private sealed class RequestLineWatcher(PipeReader inner) : PipeReader, IValueTaskSource<ReadResult>
    {
        private ManualResetValueTaskSourceCore<ReadResult> _read;
        private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;
        private Action? _onInnerRead;

        /// <summary>True while the latest request line read targets <c>/v1/messages*</c>.</summary>
        public bool Anthropic { get; private set; }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<ReadResult> pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                ReadResult result = pending.Result;
                Watch(result.Buffer);
                return new ValueTask<ReadResult>(result);
            }

            _read.Reset();
            _pending = pending.ConfigureAwait(false).GetAwaiter();
            _pending.UnsafeOnCompleted(_onInnerRead ??= OnInnerRead);
            return new ValueTask<ReadResult>(this, _read.Version);
        }

        private void OnInnerRead()
        {
            ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter pending = _pending;
            _pending = default;
            ReadResult result;
            try
            {
                result = pending.GetResult();
            }
            catch (Exception ex)
            {
                _read.SetException(ex);
                return;
            }

            Watch(result.Buffer);
            _read.SetResult(result);
        }

        ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _read.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _read.GetStatus(token);

        void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _read.OnCompleted(continuation, state, token, flags);

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Watch(result.Buffer);
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        private void Watch(ReadOnlySequence<byte> buffer)
        {
            // "METHOD SP request-target": a method is 1-16 token characters; only a read that starts at a request line
            // changes the verdict (Kestrel consumes each request line before it reads the headers and the body).
            ReadOnlySpan<byte> start = buffer.FirstSpan;
            int space = start[..Math.Min(start.Length, 17)].IndexOf((byte)' ');
            if (space < 1 || start.Length < space + 2 || start[space + 1] != (byte)'/')
            {
                return;
            }

            foreach (byte b in start[..space])
            {
                if (b is < (byte)'A' or > (byte)'Z')
                {
                    return;
                }
            }

            ReadOnlySpan<byte> target = start[(space + 1)..];
            ReadOnlySpan<byte> messages = "/v1/messages"u8;
            if (target.Length < messages.Length)
            {
                Anthropic = messages.StartsWith(target) && Anthropic;
                return;
            }

            Anthropic = target.StartsWith(messages);
        }
    }

    /// <summary>Passes the output through, except a Kestrel error head, which gets the body of its dialect.</summary>
    private sealed class ErrorBodyWriter(PipeWriter inner, RequestLineWatcher requests) : PipeWriter
    {
        private Memory<byte> _last;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (bytes >= 16 && bytes <= _last.Length && _last.Span[9] is (byte)'4' or (byte)'5' && Rewrite(_last.Span[..bytes], requests.Anthropic) is { } rewritten)
            {
                _last = default;
                inner.Write(rewritten);
                return;
            }

            _last = default;
            inner.Advance(bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
    }
}
