using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Godex.Core.Sse;

/// <summary>
/// Writes server-sent events. JSON is written by one reused <see cref="Utf8JsonWriter"/> straight into the frame: no
/// string and no intermediate copy per event. Two ways to send:
/// <list type="bullet">
/// <item>Over a <see cref="Stream"/>: one flush per event, so that a reader sees each event as it is written (the
/// simulator's paced streams, files, tests).</item>
/// <item>Over a <see cref="PipeWriter"/> (a response's <c>BodyWriter</c>): events are buffered in the pipe and sent by
/// <see cref="FlushAsync"/>. A relay flushes when its upstream has nothing more buffered
/// (<see cref="SseFlushing.MoveNextFlushingAsync{T}"/>): events that arrived in one read leave in one send, and an event
/// that arrived alone is never held back. Writing to Kestrel's response <see cref="Stream"/> sends every write at
/// once, which cost bench (b) and (e) one <c>send</c> per token.</item>
/// </list>
/// </summary>
public sealed class SseWriter : IDisposable
{
    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    private static readonly JsonWriterOptions s_jsonOptions = new()
    {
        SkipValidation = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The longest value <see cref="TryWritePlain"/> writes in one span (a token is a few characters).</summary>
    private const int MaxPlainValueChars = 1024;

    private readonly Stream? _stream;
    private readonly PipeWriter? _pipe;
    private readonly ArrayBufferWriter<byte>? _buffer; // a stream's frame, sent whole; a pipe needs none
    private readonly Utf8JsonWriter _writer;

    /// <summary>Events go to <paramref name="body"/>, each flushed as it is written.</summary>
    public SseWriter(Stream body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _stream = body;
        _buffer = new ArrayBufferWriter<byte>(4096);
        _writer = new Utf8JsonWriter(_buffer, s_jsonOptions);
    }

    /// <summary>Events are buffered in <paramref name="body"/> until <see cref="FlushAsync"/>.</summary>
    public SseWriter(PipeWriter body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _pipe = body;
        _writer = new Utf8JsonWriter(body, s_jsonOptions);
    }

    /// <summary>Writes <c>event: name</c> (when given) and <c>data: json</c>; the JSON goes straight into the frame.</summary>
    public ValueTask WriteAsync(string? eventName, Action<Utf8JsonWriter> writeJson, CancellationToken cancellationToken) =>
        WriteAsync(eventName, writeJson, static (writer, write) => write(writer), cancellationToken);

    /// <summary>
    /// As <see cref="WriteAsync(string?, Action{Utf8JsonWriter}, CancellationToken)"/>, with what the JSON needs passed in
    /// <paramref name="state"/>: a static <paramref name="writeJson"/> allocates nothing per event (a capturing lambda
    /// costs a closure and a delegate for every token of a stream).
    /// </summary>
    public ValueTask WriteAsync<TState>(string? eventName, TState state, Action<Utf8JsonWriter, TState> writeJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeJson);
        IBufferWriter<byte> frame = StartFrame(eventName);
        _writer.Reset(frame);
        writeJson(_writer, state);
        _writer.Flush();
        return EndFrameAsync(cancellationToken);
    }

    /// <summary>
    /// Writes <c>data: </c> with JSON that is fixed but for one string: <paramref name="prefix"/>, then
    /// <paramref name="value"/> as a JSON string (escaped as every other write here escapes), then
    /// <paramref name="suffix"/>. A chat stream's content chunks are that shape; copying the fixed parts costs a fraction
    /// of writing them property by property for every token.
    /// </summary>
    public ValueTask WriteAsync(ReadOnlySpan<byte> prefix, string value, ReadOnlySpan<byte> suffix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= MaxPlainValueChars && TryWritePlain(prefix, value, suffix))
        {
            return SendAsync(cancellationToken);
        }

        IBufferWriter<byte> frame = StartFrame(eventName: null);
        frame.Write(prefix);
        _writer.Reset(frame);
        _writer.WriteStringValue(value);
        _writer.Flush();
        frame.Write(suffix);
        return EndFrameAsync(cancellationToken);
    }

    /// <summary>
    /// The frame of <see cref="WriteAsync(ReadOnlySpan{byte}, string, ReadOnlySpan{byte}, CancellationToken)"/> in one
    /// span of the body, when <paramref name="value"/> needs no escaping (a model's tokens nearly always): every write
    /// to a response's pipe takes its lock, and a frame written piece by piece took five. False when the value needs
    /// escaping or is not valid UTF-16; nothing is written then.
    /// </summary>
    private bool TryWritePlain(ReadOnlySpan<byte> prefix, string value, ReadOnlySpan<byte> suffix)
    {
        IBufferWriter<byte> frame = Frame();
        int most = DataPrefix.Length + prefix.Length + 1 + (value.Length * 3) + 1 + suffix.Length + 2; // UTF-8: at most 3 bytes a UTF-16 unit
        Span<byte> span = frame.GetSpan(most);
        DataPrefix.CopyTo(span);
        int at = DataPrefix.Length;
        prefix.CopyTo(span[at..]);
        at += prefix.Length;
        span[at++] = (byte)'"';
        if (System.Text.Unicode.Utf8.FromUtf16(value, span[at..], out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done
            || s_jsonOptions.Encoder!.FindFirstCharacterToEncodeUtf8(span.Slice(at, written)) >= 0)
        {
            return false;
        }

        at += written;
        span[at++] = (byte)'"';
        suffix.CopyTo(span[at..]);
        at += suffix.Length;
        "\n\n"u8.CopyTo(span[at..]);
        frame.Advance(at + 2);
        return true;
    }

    /// <summary>Writes <c>event: name</c> (when given) and <c>data: json</c> from bytes already serialized.</summary>
    public ValueTask WriteAsync(string? eventName, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        StartFrame(eventName).Write(json.Span);
        return EndFrameAsync(cancellationToken);
    }

    /// <summary>Writes OpenAI's <c>data: [DONE]</c> terminator.</summary>
    public ValueTask WriteDoneAsync(CancellationToken cancellationToken)
    {
        Frame().Write(Done);
        return SendAsync(cancellationToken);
    }

    /// <summary>Writes an SSE comment (<c>: text</c>), used as a keep-alive.</summary>
    public ValueTask WriteCommentAsync(string text, CancellationToken cancellationToken)
    {
        IBufferWriter<byte> frame = Frame();
        frame.Write(": "u8);
        WriteUtf8(frame, text);
        frame.Write("\n\n"u8);
        return SendAsync(cancellationToken);
    }

    /// <summary>
    /// Sends what is buffered (a pipe); nothing to do over a stream, where every event is already sent. Whatever is
    /// still buffered when the response ends is sent with its end, in the same write.
    /// </summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_pipe is null)
        {
            return ValueTask.CompletedTask;
        }

        ValueTask<FlushResult> flush = _pipe.FlushAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            _ = flush.Result; // consumed: a pipe's pooled source is returned
            return ValueTask.CompletedTask;
        }

        return new ValueTask(flush.AsTask());
    }

    /// <summary>Where a frame is written: straight into the pipe, or into the buffer a stream write sends.</summary>
    private IBufferWriter<byte> Frame()
    {
        if (_pipe is not null)
        {
            return _pipe;
        }

        _buffer!.ResetWrittenCount();
        return _buffer;
    }

    private IBufferWriter<byte> StartFrame(string? eventName)
    {
        IBufferWriter<byte> frame = Frame();
        if (eventName is not null)
        {
            frame.Write(EventPrefix);
            WriteUtf8(frame, eventName);
            frame.Write("\n"u8);
        }

        frame.Write(DataPrefix);
        return frame;
    }

    private ValueTask EndFrameAsync(CancellationToken cancellationToken)
    {
        (_pipe ?? (IBufferWriter<byte>)_buffer!).Write("\n\n"u8);
        return SendAsync(cancellationToken);
    }

    /// <summary>A pipe's frame waits in the pipe for <see cref="FlushAsync"/>; a stream's is sent now.</summary>
    private ValueTask SendAsync(CancellationToken cancellationToken) =>
        _pipe is not null ? ValueTask.CompletedTask : SendToStreamAsync(cancellationToken);

    private async ValueTask SendToStreamAsync(CancellationToken cancellationToken)
    {
        await _stream!.WriteAsync(_buffer!.WrittenMemory, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    private static void WriteUtf8(IBufferWriter<byte> frame, string text)
    {
        Span<byte> span = frame.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        int written = System.Text.Encoding.UTF8.GetBytes(text, span);
        frame.Advance(written);
    }

    public void Dispose() => _writer.Dispose();
}
