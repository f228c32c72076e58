using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Sse;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// An upstream's answer as the send path hands it over: a refusal before the first byte (<see cref="Error"/>), or a
/// live body read the same way for every provider and every path — as whole SSE events
/// (<see cref="MoveNextFrameAsync"/>) or as one JSON document (<see cref="ReadBodyAsync"/>) — under the idle timeout and,
/// when the client does not stream, the total deadline. A read that fails leaves <see cref="Fault"/> set instead of
/// throwing: a silent upstream is a 504, a broken or oversized one a 502. Disposing it closes the upstream connection.
/// </summary>
public sealed class UpstreamResponse : IDisposable, ISseFrameReaderOwner
{
    /// <summary>The most events <see cref="PeekRefusalAsync"/> reads before deciding a stream is fine.</summary>
    internal const int MaxPeekEvents = 8;

    /// <summary>The most bytes <see cref="PeekRefusalAsync"/> reads before deciding a stream is fine.</summary>
    internal const int MaxPeekBytes = 64 * 1024;

    private readonly HttpResponseMessage? _message;
    private readonly string _upstream;
    private readonly UpstreamOptions? _options;
    private readonly CancellationToken _requestToken;
    private readonly ExchangeTimer? _timer;
    private Stream? _body;
    private SseFrameReader? _frames;

    private UpstreamResponse(BackendError error, HttpResponseMessage? message, ReadOnlyMemory<byte> errorBody, string upstream)
    {
        Error = error;
        _message = message;
        ErrorBody = errorBody;
        _upstream = upstream;
    }

    internal UpstreamResponse(
        HttpResponseMessage message,
        string upstream,
        UpstreamOptions options,
        ExchangeTimer timer,
        CancellationToken requestToken)
    {
        _message = message;
        _upstream = upstream;
        _options = options;
        _timer = timer;
        _requestToken = requestToken;
    }

    /// <summary>The refusal before the first byte: the upstream's error status, or one godex gave (unreachable, timeout, no login).</summary>
    public BackendError? Error { get; }

    /// <summary>
    /// The refusal's body as the upstream sent it (its first 64 KiB), when the upstream itself refused with a 4xx or
    /// 5xx that a same-dialect relay may pass on; empty otherwise.
    /// </summary>
    public ReadOnlyMemory<byte> ErrorBody { get; }

    /// <summary>The account of the backend's pool that answered (or refused), when the backend has accounts.</summary>
    public string? Account { get; internal set; }

    /// <summary>The upstream's status code (0 when it never answered).</summary>
    public int Status => _message is null ? 0 : (int)_message.StatusCode;

    /// <summary>The upstream's response headers (null when it never answered).</summary>
    public HttpResponseHeaders? Headers => _message?.Headers;

    /// <summary>The upstream's content type as it sent it, parameters included.</summary>
    public string ContentType =>
        _message?.Content.Headers.NonValidated.TryGetValues("Content-Type", out HeaderStringValues type) == true ? type.ToString() : "";

    /// <summary>True when the body is a server-sent event stream.</summary>
    public bool IsEventStream => ContentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the body is one JSON document (<c>application/json</c>, or a <c>+json</c> type).</summary>
    public bool IsJson
    {
        get
        {
            ReadOnlySpan<char> type = ContentType.AsSpan();
            int parameters = type.IndexOf(';');
            type = (parameters < 0 ? type : type[..parameters]).Trim();
            return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The event <see cref="MoveNextFrameAsync"/> found; valid until the next call.</summary>
    public SseFrame Frame => _frames!.Current;

    /// <summary>Why the body stopped early (idle, deadline, broken, oversized); null while it is fine or ended cleanly.</summary>
    public BackendError? Fault { get; private set; }

    /// <summary>The answer is a refusal.</summary>
    internal static UpstreamResponse Refused(BackendError error, string upstream, HttpResponseMessage? message = null, ReadOnlyMemory<byte> errorBody = default) =>
        new(error, message, errorBody, upstream);

    /// <summary>
    /// Moves to the next whole event of the body. False at its end, or when it failed (<see cref="Fault"/> set). Throws
    /// only when the client's request was cancelled.
    /// </summary>
    public ValueTask<bool> MoveNextFrameAsync()
    {
        if (Fault is not null || Error is not null)
        {
            return ValueTask.FromResult(false);
        }

        // The reader itself is awaited: it touches the idle timer and turns a failed read into Fault through this
        // response (ISseFrameReaderOwner), so no async method of this class sits between the socket and the client.
        return _frames is not null ? _frames.MoveNextAsync(_timer!.Token) : OpenAndMoveNextAsync();
    }

    private async ValueTask<bool> OpenAndMoveNextAsync()
    {
        try
        {
            _frames = new SseFrameReader(await OpenBodyAsync(), _options!.MaxEventBytes, this);
        }
        catch (Exception ex) when (IsFault(ex))
        {
            Fault = FaultOf(ex);
            Close();
            return false;
        }

        return await _frames.MoveNextAsync(_timer!.Token);
    }

    /// <summary>
    /// The idle timeout counts from the last whole event, not the last byte: an upstream that trickles bytes without
    /// ever finishing an event is as stuck as a silent one.
    /// </summary>
    void ISseFrameReaderOwner.EventRead() => _timer!.Touch();

    /// <summary>A body that breaks, stalls or overflows is this response's <see cref="Fault"/>; a cancelled request's read throws.</summary>
    bool ISseFrameReaderOwner.EndsStream(Exception exception)
    {
        if (!IsFault(exception))
        {
            return false;
        }

        Fault = FaultOf(exception);
        _message?.Dispose(); // the connection closes now; the reader (mid-read) goes with the response
        return true;
    }

    /// <summary>
    /// Keeps <see cref="Frame"/> past the next <see cref="MoveNextFrameAsync"/>, until <see cref="TakeHeldFrames"/>; false
    /// when it cannot be held (the stream's unterminated last event: see <see cref="SseFrameReader.HoldCurrent"/>).
    /// </summary>
    public bool HoldFrame() => _frames?.HoldCurrent() ?? false;

    /// <summary>The held events' bytes as they came, valid until the next <see cref="MoveNextFrameAsync"/>; holding ends.</summary>
    public ReadOnlyMemory<byte> TakeHeldFrames() => _frames?.TakeHeld() ?? default;

    /// <summary>
    /// Looks at the events before the first content — at most <see cref="MaxPeekEvents"/>, at most
    /// <see cref="MaxPeekBytes"/> — and returns the in-band refusal among them: an upstream that accepted the request
    /// (200, an event stream) and then said it cannot serve it (the Codex backend's <c>server_is_overloaded</c> right
    /// after <c>response.created</c>, Anthropic's <c>overloaded_error</c> event: a 429 or 5xx). Null when the stream is
    /// fine; its events are then handed out again, from the first, by <see cref="MoveNextFrameAsync"/>. A stream that
    /// breaks or stalls here is its fault. Refusals the client caused (a 4xx other than 429) are left in the stream.
    /// </summary>
    internal async ValueTask<BackendError?> PeekRefusalAsync(IRelayRules rules)
    {
        if (Error is not null || !IsEventStream)
        {
            return null;
        }

        try
        {
            _frames ??= new SseFrameReader(await OpenBodyAsync(), _options!.MaxEventBytes, this);
            _frames.Mark();
            BackendError? refusal = null;
            for (int events = 0; events < MaxPeekEvents && _frames.MarkedBytes < MaxPeekBytes; events++)
            {
                if (!await _frames.MoveNextAsync(_timer!.Token))
                {
                    if (Fault is not null)
                    {
                        return Fault; // the body broke or stalled before its first content
                    }

                    break;
                }

                RelayFrameKind kind = rules.KindOf(_frames.Current); // checked in full when relayed
                if (kind == RelayFrameKind.Preamble)
                {
                    continue;
                }

                if (kind is RelayFrameKind.Error or RelayFrameKind.Failed
                    && rules.Classify(_frames.Current) == kind // the whole event checked before its error is read
                    && rules.ErrorOf(_frames.Current) is { Status: 429 or >= 500 } error)
                {
                    refusal = error;
                }

                break;
            }

            _frames.Rewind();
            return refusal;
        }
        catch (Exception ex) when (IsFault(ex))
        {
            Fault = FaultOf(ex);
            Close();
            return Fault;
        }
    }

    /// <summary>
    /// Reads the whole body (a JSON answer). At most <see cref="UpstreamOptions.MaxEventBytes"/>: a larger body is a
    /// 502, as is one that breaks, and silence past the idle timeout or the deadline a 504. Throws only when the
    /// client's request was cancelled.
    /// </summary>
    public async ValueTask<(byte[]? Body, BackendError? Fault)> ReadBodyAsync()
    {
        int maxBytes = _options?.MaxEventBytes ?? SseFrameReader.DefaultMaxFrameBytes;
        if (Error is not null)
        {
            return (null, Error);
        }

        if (_message!.Content.Headers.ContentLength is long length)
        {
            return await ReadKnownLengthAsync(length, maxBytes);
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            Stream body = await OpenBodyAsync();
            using var content = new MemoryStream();
            int read;
            while ((read = await body.ReadAsync(chunk, _timer!.Token)) > 0)
            {
                _timer.Touch();
                if (content.Length + read > maxBytes)
                {
                    Fault = Oversized(maxBytes);
                    Close();
                    return (null, Fault);
                }

                content.Write(chunk, 0, read);
            }

            return (content.ToArray(), null);
        }
        catch (Exception ex) when (IsFault(ex))
        {
            Fault = FaultOf(ex);
            Close();
            return (null, Fault);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>A body of announced length, read into an array of its size (a shorter body is a broken one).</summary>
    private async ValueTask<(byte[]? Body, BackendError? Fault)> ReadKnownLengthAsync(long length, int maxBytes)
    {
        if (length > maxBytes)
        {
            Fault = Oversized(maxBytes);
            Close();
            return (null, Fault);
        }

        try
        {
            Stream body = await OpenBodyAsync();
            var content = new byte[length];
            int filled = 0;
            while (filled < content.Length)
            {
                int read = await body.ReadAsync(content.AsMemory(filled), _timer!.Token);
                if (read == 0)
                {
                    throw new IOException(string.Create(CultureInfo.InvariantCulture, $"the body ended after {filled} of its {length} bytes"));
                }

                _timer.Touch();
                filled += read;
            }

            return (content, null);
        }
        catch (Exception ex) when (IsFault(ex))
        {
            Fault = FaultOf(ex);
            Close();
            return (null, Fault);
        }
    }

    private BackendError Oversized(int maxBytes) =>
        BackendError.Upstream(502, string.Create(CultureInfo.InvariantCulture, $"{_upstream} sent an answer larger than {maxBytes} bytes"));

    public void Dispose()
    {
        Close();
        _timer?.Dispose();
    }

    private async ValueTask<Stream> OpenBodyAsync()
    {
        if (_body is not null)
        {
            return _body;
        }

        _timer!.WaitForBody(_options!.IdleTimeout);
        _body = await _message!.Content.ReadAsStreamAsync(_timer.Token);
        return _body;
    }

    private bool IsFault(Exception ex) =>
        !_requestToken.IsCancellationRequested
        && ex is OperationCanceledException or IOException or HttpRequestException or InvalidDataException;

    private BackendError FaultOf(Exception ex)
    {
        ExchangeTimer.Wait expired = _timer?.Expired ?? ExchangeTimer.Wait.None;
        if (expired == ExchangeTimer.Wait.Total)
        {
            return new BackendError(504, BackendErrorTypes.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"{_upstream} did not finish the answer within {_options!.TotalTimeout.TotalSeconds:0.#} s (total_timeout)"));
        }

        if (expired == ExchangeTimer.Wait.Idle)
        {
            return new BackendError(504, BackendErrorTypes.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"{_upstream} sent nothing for {_options!.IdleTimeout.TotalSeconds:0.#} s (idle_timeout); the answer was cut"));
        }

        return ex is InvalidDataException
            ? BackendError.Upstream(502, $"{_upstream} sent an oversized event: {ex.Message}")
            : BackendError.Upstream(502, $"the connection to {_upstream} broke mid-answer: {ex.Message}");
    }

    internal void Close()
    {
        _frames?.Dispose();
        _frames = null;
        _message?.Dispose();
    }
}
