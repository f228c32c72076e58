using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Conversation;

namespace Godex.Core.Backends.Codex;

/// <summary>One whole server-sent event as the upstream sent it (terminating blank line included) and its type.</summary>
/// <param name="Type">The <c>event:</c> name, else the data's <c>type</c>; empty when neither is there.</param>
/// <param name="Raw">The event's bytes, unchanged. From <see cref="CodexPassthroughResponse.ReadEventsAsync"/> they are a
/// view of the read buffer, valid until the next event is asked for: copy them (<see cref="Detached"/>) to keep them.</param>
/// <param name="Error">Set only on the event godex adds when the stream broke before a terminal event.</param>
public readonly record struct CodexPassthroughEvent(string Type, ReadOnlyMemory<byte> Raw, BackendError? Error = null)
{
    /// <summary>
    /// True when no further whole event is already buffered behind this one: the next event needs another read from
    /// the upstream. A relay flushes here and only here, so events that arrived together leave together (one send,
    /// not one per event) and an event that arrived alone is never held back.
    /// </summary>
    public bool EndsRead { get; init; } = true;

    /// <summary>True for the events that end a Responses stream.</summary>
    public bool IsTerminal => Type is "response.completed" or "response.incomplete" or "response.failed" or "error";

    /// <summary>The same event with bytes of its own, for a consumer that keeps it past the next one.</summary>
    public CodexPassthroughEvent Detached() => this with { Raw = Raw.ToArray() };

    /// <summary>The event's data (its <c>data:</c> lines joined with LF).</summary>
    public byte[] Data() => CodexPassthroughResponse.DataOf(Raw.Span);
}

/// <summary>
/// The Codex backend's answer to a passed-through request: a refusal (<see cref="Error"/>), or a live SSE body read
/// as whole events (<see cref="ReadEventsAsync"/>, bytes unchanged) or aggregated into one Responses object
/// (<see cref="AggregateAsync"/>). Disposing it closes the upstream connection.
/// </summary>
public sealed class CodexPassthroughResponse : IDisposable
{
    private const string Upstream = "the Codex upstream";

    private readonly HttpResponseMessage? _response;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;

    internal CodexPassthroughResponse(BackendError error)
    {
        Error = error;
        _time = TimeProvider.System;
    }

    internal CodexPassthroughResponse(HttpResponseMessage response, TimeSpan idleTimeout, TimeProvider time)
    {
        _response = response;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    /// <summary>The refusal before the first byte (upstream status and message), or null when the stream is live.</summary>
    public BackendError? Error { get; }

    /// <summary>The upstream's content type (<c>text/event-stream</c>, with its parameters as sent).</summary>
    public string ContentType =>
        _response?.Content.Headers.NonValidated.TryGetValues("Content-Type", out HeaderStringValues type) == true ? type.ToString() : "text/event-stream";

    /// <summary>
    /// The upstream's events, each whole and byte for byte as sent. A silence longer than the idle timeout or a broken
    /// connection before a terminal event ends the sequence with one godex-made Responses <c>error</c> event
    /// (<see cref="CodexPassthroughEvent.Error"/> set), so a stream never just stops.
    /// </summary>
    public async IAsyncEnumerable<CodexPassthroughEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_response is null)
        {
            yield break;
        }

        using var idle = new IdleTimeout(_idleTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        Stream body = await _response.Content.ReadAsStreamAsync(cancellationToken);
        byte[] buffer = BoundedArrayPool.Rent(16 * 1024);
        int filled = 0;
        bool terminal = false;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    byte[] larger = BoundedArrayPool.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    BoundedArrayPool.Return(buffer);
                    buffer = larger;
                }

                int read;
                BackendError? broken = null;
                idle.Touch();
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(filled), linked.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException && idle.HasFired && !cancellationToken.IsCancellationRequested)
                {
                    broken = new BackendError(504, BackendErrorTypes.Timeout, $"{Upstream} sent nothing for {_idleTimeout.TotalSeconds:0.#} s; stream cut");
                    read = 0;
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    broken = BackendError.Upstream(502, $"the connection to {Upstream} broke mid-stream: {ex.Message}");
                    read = 0;
                }

                filled += read;
                int start = 0;
                int length = NextEventEnd(buffer.AsSpan(0, filled));
                while (length > 0)
                {
                    // A slice of the read buffer, valid until the consumer asks for the next event (see Raw).
                    ReadOnlyMemory<byte> raw = buffer.AsMemory(start, length);
                    start += length;
                    length = NextEventEnd(buffer.AsSpan(start, filled - start));
                    string type = TypeOf(raw.Span);
                    if (type.Length == 0 && !HasData(raw.Span))
                    {
                        continue; // a comment or keep-alive: nothing a client needs
                    }

                    terminal |= type is "response.completed" or "response.incomplete" or "response.failed" or "error";
                    yield return new CodexPassthroughEvent(type, raw) { EndsRead = length <= 0 };
                }

                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
                if (read > 0)
                {
                    continue;
                }

                if (filled > 0 && broken is null && buffer[filled - 1] is (byte)'\n' or (byte)'\r' && DataOf(buffer.AsSpan(0, filled)).Length > 0)
                {
                    // The upstream closed right after its last event without the blank line (recorded real streams
                    // do): that event is still whole. It goes on with the blank line added, because a client's SSE
                    // parser (rightly) discards an event that is never dispatched: openai-node would never see
                    // response.completed.
                    byte[] last = new byte[filled + 1];
                    buffer.AsSpan(0, filled).CopyTo(last);
                    last[filled] = (byte)'\n';
                    string type = TypeOf(last);
                    terminal |= type is "response.completed" or "response.incomplete" or "response.failed" or "error";
                    yield return new CodexPassthroughEvent(type, last);
                }

                if (!terminal)
                {
                    BackendError error = broken ?? BackendError.Upstream(502, $"{Upstream} closed the stream before response.completed");
                    yield return new CodexPassthroughEvent("error", ErrorEvent(error), error);
                }

                yield break;
            }
        }
        finally
        {
            BoundedArrayPool.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the whole stream into the final Responses object (for callers that did not ask to stream): the
    /// terminal event's <c>response</c>, its <c>output</c> rebuilt from <c>response.output_item.done</c> events when the
    /// upstream left it empty. A failed response, an <c>error</c> event or a broken stream is an error value.
    /// </summary>
    public async Task<(byte[]? Response, BackendError? Error)> AggregateAsync(CancellationToken cancellationToken)
    {
        if (Error is not null)
        {
            return (null, Error);
        }

        var items = new SortedDictionary<int, byte[]>();
        await foreach (CodexPassthroughEvent item in ReadEventsAsync(cancellationToken))
        {
            if (item.Error is not null)
            {
                return (null, item.Error);
            }

            if (item.Type is not ("response.output_item.done" or "response.completed" or "response.incomplete" or "response.failed" or "error"))
            {
                continue;
            }

            using JsonDocument document = JsonDocument.Parse(item.Data());
            JsonElement root = document.RootElement;
            switch (item.Type)
            {
                case "response.output_item.done":
                    if (root.TryGetProperty("item", out JsonElement output) && root.TryGetProperty("output_index", out JsonElement index) && index.TryGetInt32(out int position))
                    {
                        items[position] = Encoding.UTF8.GetBytes(output.GetRawText());
                    }

                    break;
                case "response.completed" or "response.incomplete":
                    return root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object
                        ? (WithOutput(response, items.Values), null)
                        : (null, BackendError.Upstream(502, $"{Upstream} sent {item.Type} without a response"));
                case "response.failed":
                    JsonElement failed = root.TryGetProperty("response", out JsonElement r) && r.TryGetProperty("error", out JsonElement e) ? e : default;
                    return (null, ErrorFrom(failed));
                default:
                    return (null, ErrorFrom(root));
            }
        }

        return (null, BackendError.Upstream(502, $"{Upstream} closed the stream before response.completed"));
    }

    /// <summary>The error an in-stream <c>error</c> event or a failed response's <c>error</c> object stands for.</summary>
    public static BackendError ErrorFrom(JsonElement error)
    {
        string? code = String(error, "code") ?? String(error, "type");
        string message = String(error, "message") ?? "the Codex upstream failed the response";
        int status = code switch
        {
            "rate_limit_exceeded" or "usage_limit_reached" or "usage_not_included" => 429,
            "server_is_overloaded" or "slow_down" => 503,
            "context_length_exceeded" or "invalid_prompt" or "invalid_request_error" => 400,
            _ => 502,
        };
        return BackendError.Upstream(status, message) with { Code = code };
    }

    public void Dispose() => _response?.Dispose();

    /// <summary>Length of the first whole event in <paramref name="data"/> (through its blank line), 0 when none is whole yet.</summary>
    internal static int NextEventEnd(ReadOnlySpan<byte> data)
    {
        // Jump from line end to line end (vectorized search); an event ends at an empty line: LF LF, LF CR LF or CR CR.
        int offset = 0;
        while (true)
        {
            int found = data[offset..].IndexOfAny((byte)'\n', (byte)'\r');
            if (found < 0)
            {
                return 0;
            }

            int i = offset + found;
            if (i + 1 >= data.Length)
            {
                return 0;
            }

            byte next = data[i + 1];
            if (data[i] == (byte)'\n')
            {
                if (next == (byte)'\n')
                {
                    return i + 2;
                }

                if (next == (byte)'\r' && i + 2 < data.Length && data[i + 2] == (byte)'\n')
                {
                    return i + 3;
                }
            }
            else if (next == (byte)'\r')
            {
                return i + 2;
            }

            offset = i + 1;
        }
    }

    /// <summary>The data of one event: its <c>data:</c> lines (one optional space after the colon removed) joined with LF.</summary>
    internal static byte[] DataOf(ReadOnlySpan<byte> raw)
    {
        var data = new ArrayBufferWriter<byte>(raw.Length);
        bool first = true;
        foreach (ReadOnlySpan<byte> line in new LineEnumerator(raw))
        {
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }

            ReadOnlySpan<byte> value = line[5..];
            if (!value.IsEmpty && value[0] == (byte)' ')
            {
                value = value[1..];
            }

            if (!first)
            {
                data.Write("\n"u8);
            }

            data.Write(value);
            first = false;
        }

        return data.WrittenSpan.ToArray();
    }

    /// <summary>True when <see cref="DataOf"/> would not be empty: two data lines (joined by LF), or one with a value.</summary>
    private static bool HasData(ReadOnlySpan<byte> raw)
    {
        bool seen = false;
        foreach (ReadOnlySpan<byte> line in new LineEnumerator(raw))
        {
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }

            ReadOnlySpan<byte> value = line[5..];
            if (seen || value.Length > (value.IsEmpty || value[0] != (byte)' ' ? 0 : 1))
            {
                return true;
            }

            seen = true;
        }

        return false;
    }

    private static string TypeOf(ReadOnlySpan<byte> raw)
    {
        foreach (ReadOnlySpan<byte> line in new LineEnumerator(raw))
        {
            if (line.StartsWith("event:"u8))
            {
                return EventTypeName(line[6..].Trim((byte)' '));
            }
        }

        byte[] data = DataOf(raw);
        if (data.Length == 0)
        {
            return string.Empty;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(data);
            return String(document.RootElement, "type") ?? string.Empty;
        }
        catch (JsonException)
        {
            return string.Empty;
        }
    }

    // The event types a Responses stream carries, so that naming an event allocates nothing.
    private static readonly string[] s_knownTypes =
    [
        "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
        "response.content_part.added", "response.content_part.done", "response.output_text.delta", "response.output_text.done",
        "response.reasoning_summary_part.added", "response.reasoning_summary_part.done", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_text.delta", "response.reasoning_text.done",
        "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done", "response.completed", "response.incomplete", "response.failed", "error",
    ];

    private static readonly byte[][] s_knownTypesUtf8 = Array.ConvertAll(s_knownTypes, Encoding.UTF8.GetBytes);

    private static string EventTypeName(ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < s_knownTypesUtf8.Length; i++)
        {
            if (name.SequenceEqual(s_knownTypesUtf8[i]))
            {
                return s_knownTypes[i];
            }
        }

        return Encoding.UTF8.GetString(name);
    }

    /// <summary>The lines of one event (CR, LF or CRLF ends), as slices: nothing allocated.</summary>
    private ref struct LineEnumerator(ReadOnlySpan<byte> raw)
    {
        private ReadOnlySpan<byte> _rest = raw;

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly LineEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            int end = _rest.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Current = _rest;
                _rest = default;
                return true;
            }

            Current = _rest[..end];
            int next = end + 1;
            if (_rest[end] == (byte)'\r' && next < _rest.Length && _rest[next] == (byte)'\n')
            {
                next++;
            }

            _rest = _rest[next..];
            return true;
        }
    }

    private static byte[] WithOutput(JsonElement response, IEnumerable<byte[]> items)
    {
        bool emptyOutput = !response.TryGetProperty("output", out JsonElement output) || output.ValueKind != JsonValueKind.Array || output.GetArrayLength() == 0;
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (JsonProperty property in response.EnumerateObject())
            {
                if (property.NameEquals("output") && emptyOutput)
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            if (emptyOutput)
            {
                writer.WriteStartArray("output");
                foreach (byte[] item in items)
                {
                    writer.WriteRawValue(item, skipInputValidation: true);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] ErrorEvent(BackendError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("event: error\ndata: "u8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteString("code", error.Code ?? error.Type);
            writer.WriteString("message", error.Message);
            writer.WriteNull("param");
            writer.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
