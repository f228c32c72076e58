using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// The Chat Completions dialect to the passthrough relay (a chat client on an OpenAI-compatible upstream): chunks are
/// content, <c>data: [DONE]</c> ends, a chunk that is an <c>{"error": ...}</c> object fails (OpenRouter reports
/// failures that way inside a 200 stream). Refusals are reworded in OpenAI's shape (compatible servers word theirs in
/// several shapes); the rate-limit and request-id headers go to the client; usage is read from the chunk that carries
/// it (present when the client asked for <c>stream_options.include_usage</c>) or from the JSON answer. A client that
/// did not stream gets the upstream's own JSON answer (it answers such requests itself).
/// </summary>
internal sealed class ChatCompletionsRelayRules : IRelayRules
{
    public static ChatCompletionsRelayRules Instance { get; } = new();

    public bool RelaysRefusalBodies => false;

    public RelayFrameKind Classify(in SseFrame frame) =>
        frame.IsDone || JsonSyntax.IsValid(frame.Data.Span) ? KindOf(frame) : RelayFrameKind.Malformed;

    public RelayFrameKind KindOf(in SseFrame frame)
    {
        if (frame.IsDone)
        {
            return RelayFrameKind.Terminal;
        }

        try
        {
            return HasTopLevelError(frame.Data.Span) ? RelayFrameKind.Error : RelayFrameKind.Content;
        }
        catch (JsonException)
        {
            return RelayFrameKind.Malformed;
        }
    }

    public BackendError ErrorOf(in SseFrame frame)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(frame.Data);
            if (ChatCompletionsErrors.FromRoot(document.RootElement) is { } error)
            {
                return error;
            }
        }
        catch (JsonException)
        {
            // Classified as JSON already; an unexpected shape still fails the answer below.
        }

        return BackendError.Upstream(502, "the upstream reported an error inside its stream");
    }

    public void WriteErrorEvent(IBufferWriter<byte> output, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            ChatCompletionsJsonWriter.WriteStreamError(writer, error);
        }

        // Chat clients read to [DONE]; the error chunk before it is what they report.
        output.Write("\n\ndata: [DONE]\n\n"u8);
    }

    public bool IsRelayedHeader(string name) =>
        name.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("retry-after", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-request-id", StringComparison.OrdinalIgnoreCase)
        || name.Equals("openai-processing-ms", StringComparison.OrdinalIgnoreCase);

    public IRelayUsageTap CreateUsageTap() => new UsageTap();

    public IRelayAggregator? CreateAggregator() => null;

    /// <summary>True when <paramref name="data"/> (valid JSON) is an object with a non-null <c>error</c> member.</summary>
    internal static bool HasTopLevelError(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (isError)
            {
                return reader.TokenType != JsonTokenType.Null;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>Parses only the chunks that mention usage (the last one, when the client asked for it).</summary>
    private sealed class UsageTap : IRelayUsageTap
    {
        public Usage Usage { get; private set; } = Usage.Empty;

        public void Observe(in SseFrame frame)
        {
            if (!frame.IsDone && frame.Data.Span.IndexOf("\"usage\""u8) >= 0)
            {
                ObserveJson(frame.Data.Span);
            }
        }

        public void ObserveJson(ReadOnlySpan<byte> json)
        {
            // One reader pass, nothing built.
            try
            {
                var reader = new Utf8JsonReader(json);
                if (reader.Read() && RelayJson.MoveToMember(ref reader, "usage"u8) && reader.TokenType == JsonTokenType.StartObject)
                {
                    Usage = RelayJson.ReadUsage(ref reader, UsageMembers.ChatCompletions);
                }
            }
            catch (JsonException)
            {
                // Not JSON we understand: the ledger keeps what it had.
            }
        }
    }
}
