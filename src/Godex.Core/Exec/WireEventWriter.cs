using System.Buffers;
using System.Text;
using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Exec;

/// <summary>
/// Writes Wire v0 (docs/wire.md): one JSON object per line, the same shapes whichever provider answered.
/// </summary>
/// <remarks>
/// One run is one response: <c>response.created</c> once, then every turn's content events in order, then exactly one
/// terminal line, <c>response.completed</c> (usage summed over the turns) or <c>error</c>.
/// </remarks>
public sealed class WireEventWriter
{
    private static readonly JsonWriterOptions s_options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Action<string> _emit;
    private bool _textStarted;

    /// <param name="emit">Receives each line, without the newline.</param>
    public WireEventWriter(Action<string> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        _emit = emit;
    }

    /// <summary>Also receives every text delta (text mode prints only these).</summary>
    public Action<string>? TextSink { get; init; }

    /// <summary>Also receives every error message (text mode prints it on stderr).</summary>
    public Action<string>? ErrorSink { get; init; }

    /// <summary>True once <c>response.created</c> was written.</summary>
    public bool Created { get; private set; }

    /// <summary>True once a terminal line was written.</summary>
    public bool Finished { get; private set; }

    public string? ResponseId { get; private set; }

    /// <summary>A new model turn: its first text gets its own <c>response.content_part.added</c>.</summary>
    public void BeginTurn() => _textStarted = false;

    public void WriteCreated(string id, string? model)
    {
        if (Created)
        {
            return;
        }

        Created = true;
        ResponseId = id;
        Emit(w =>
        {
            w.WriteString("type", "response.created");
            w.WriteStartObject("response");
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteString("status", "in_progress");
            if (model is not null)
            {
                w.WriteString("model", model);
            }

            w.WriteEndObject();
        });
    }

    public void WriteTextDelta(string delta)
    {
        if (delta.Length == 0)
        {
            return;
        }

        if (!_textStarted)
        {
            _textStarted = true;
            Emit(w =>
            {
                w.WriteString("type", "response.content_part.added");
                w.WriteStartObject("part");
                w.WriteString("type", "output_text");
                w.WriteString("text", "");
                w.WriteEndObject();
            });
        }

        WriteRawTextDelta(delta);
    }

    /// <summary>A text delta without the <c>content_part.added</c> that precedes a turn's first text (the mock modes).</summary>
    public void WriteRawTextDelta(string delta)
    {
        Emit(w =>
        {
            w.WriteString("type", "response.output_text.delta");
            w.WriteString("delta", delta);
        });
        TextSink?.Invoke(delta);
    }

    public void WriteToolCallAdded(string itemId, string callId, string name) =>
        Emit(w =>
        {
            w.WriteString("type", "response.output_item.added");
            w.WriteStartObject("item");
            w.WriteString("id", itemId);
            w.WriteString("type", "function_call");
            w.WriteString("call_id", callId);
            w.WriteString("name", name);
            w.WriteEndObject();
        });

    public void WriteArgumentsDelta(string itemId, string delta) =>
        Emit(w =>
        {
            w.WriteString("type", "response.function_call_arguments.delta");
            w.WriteString("item_id", itemId);
            w.WriteString("delta", delta);
        });

    public void WriteToolCallDone(string itemId, string callId, string name, string arguments) =>
        Emit(w =>
        {
            w.WriteString("type", "response.output_item.done");
            w.WriteStartObject("item");
            w.WriteString("id", itemId);
            w.WriteString("type", "function_call");
            w.WriteString("call_id", callId);
            w.WriteString("name", name);
            w.WriteString("arguments", arguments);
            w.WriteEndObject();
        });

    /// <summary>The one <c>response.completed</c>; <paramref name="usage"/> null writes none (the mock modes).</summary>
    public void WriteCompleted(Usage? usage)
    {
        Finished = true;
        string id = ResponseId ?? "";
        Emit(w =>
        {
            w.WriteString("type", "response.completed");
            w.WriteStartObject("response");
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteString("status", "completed");
            if (usage is not null)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("input_tokens", usage.InputTokens);
                w.WriteNumber("output_tokens", usage.OutputTokens);
                w.WriteNumber("cached_tokens", usage.CachedInputTokens);
                w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
                w.WriteNumber("total_tokens", usage.TotalTokens);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        });
    }

    public void WriteError(string message, string? code = null)
    {
        Finished = true;
        Emit(w =>
        {
            w.WriteString("type", "error");
            w.WriteString("message", message);
            if (code is not null)
            {
                w.WriteString("code", code);
            }
        });
        ErrorSink?.Invoke(message);
    }

    private void Emit(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        _emit(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
