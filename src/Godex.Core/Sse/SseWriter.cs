using System.Buffers;
using System.Text.Json;

namespace Godex.Sse;

/// <summary>
/// Writes server-sent events to a response body, one flush per event so that clients see each token as it comes.
/// JSON is written with one reused <see cref="Utf8JsonWriter"/> into one reused buffer: no string per event.
/// </summary>
public sealed class SseWriter : IDisposable
{
    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    private readonly Stream _body;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private readonly Utf8JsonWriter _writer;

    public SseWriter(Stream body)
    {
        _body = body;
        _writer = new Utf8JsonWriter(_json, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Writes <c>event: name</c> (when given) and <c>data: json</c>, then flushes.</summary>
    public ValueTask WriteAsync(string? eventName, Action<Utf8JsonWriter> writeJson, CancellationToken cancellationToken)
    {
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        writeJson(_writer);
        _writer.Flush();
        return WriteAsync(eventName, _json.WrittenMemory, cancellationToken);
    }

    /// <summary>Writes <c>event: name</c> (when given) and <c>data: json</c> from bytes already serialized, then flushes.</summary>
    public async ValueTask WriteAsync(string? eventName, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        if (eventName is not null)
        {
            _buffer.Write(EventPrefix);
            WriteAscii(eventName);
            _buffer.Write("\n"u8);
        }

        _buffer.Write(DataPrefix);
        _buffer.Write(json.Span);
        _buffer.Write("\n\n"u8);
        await _body.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        await _body.FlushAsync(cancellationToken);
    }

    /// <summary>Writes OpenAI's <c>data: [DONE]</c> terminator and flushes.</summary>
    public async ValueTask WriteDoneAsync(CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write(Done);
        await _body.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        await _body.FlushAsync(cancellationToken);
    }

    /// <summary>Writes an SSE comment (<c>: text</c>), used as a keep-alive.</summary>
    public async ValueTask WriteCommentAsync(string text, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write(": "u8);
        WriteAscii(text);
        _buffer.Write("\n\n"u8);
        await _body.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        await _body.FlushAsync(cancellationToken);
    }

    private void WriteAscii(string text)
    {
        Span<byte> span = _buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        int written = System.Text.Encoding.UTF8.GetBytes(text, span);
        _buffer.Advance(written);
    }

    public void Dispose() => _writer.Dispose();
}
