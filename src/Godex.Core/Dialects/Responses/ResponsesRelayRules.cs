using System.Buffers;
using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Godex.Core.Sse;

namespace Godex.Core.Dialects.Responses;

/// <summary>
/// The Responses dialect to the passthrough relay: <c>response.created</c> and <c>response.in_progress</c> may be held
/// back (the Codex backend reports <c>server_is_overloaded</c> inside a 200 stream right after them), completed and
/// incomplete end, <c>response.failed</c> and <c>error</c> fail; the backend's usage headers (<c>x-codex-*</c>) go to
/// the client, its refusals are reworded in the OpenAI shape; usage is in the terminal event. A client that did not
/// stream gets the final response object (<see cref="ResponsesStreamAggregator"/>): the Codex backend only streams.
/// </summary>
internal sealed class ResponsesRelayRules : IRelayRules
{
    public static ResponsesRelayRules Instance { get; } = new();

    public bool RelaysRefusalBodies => false;

    public RelayFrameKind Classify(in SseFrame frame) =>
        JsonSyntax.IsValid(frame.Data.Span) ? KindOf(frame) : RelayFrameKind.Malformed;

    public RelayFrameKind KindOf(in SseFrame frame) =>
        frame.EventType.Length > 0 ? KindOf(frame.EventType)
        : RelayJson.TryTypeOf(frame.Data.Span, out string? type) ? KindOf(type ?? "")
        : RelayFrameKind.Malformed;

    internal static RelayFrameKind KindOf(string type) => type switch
    {
        "response.created" or "response.in_progress" => RelayFrameKind.Preamble,
        "response.completed" or "response.incomplete" => RelayFrameKind.Terminal,
        "response.failed" => RelayFrameKind.Failed,
        "error" => RelayFrameKind.Error,
        _ => RelayFrameKind.Content,
    };

    public BackendError ErrorOf(in SseFrame frame) =>
        ResponsesErrors.FromEventData(frame.Data.Span, failedResponse: KindOf(frame) == RelayFrameKind.Failed);

    public void WriteErrorEvent(IBufferWriter<byte> output, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        output.Write("event: error\ndata: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "error"u8);
            writer.WriteString("code"u8, error.Code ?? error.Type);
            writer.WriteString("message"u8, error.Message);
            writer.WriteNull("param"u8);
            writer.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }

    public bool IsRelayedHeader(string name) =>
        name.StartsWith("x-codex-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("retry-after", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-request-id", StringComparison.OrdinalIgnoreCase);

    public IRelayUsageTap CreateUsageTap() => new UsageTap();

    public IRelayAggregator? CreateAggregator() => new ResponsesStreamAggregator();

    /// <summary>Usage is read from the one terminal event, off the byte path, in one reader pass that builds nothing.</summary>
    private sealed class UsageTap : IRelayUsageTap
    {
        public Usage Usage { get; private set; } = Usage.Empty;

        public void Observe(in SseFrame frame)
        {
            if (frame.EventType is "response.completed" or "response.incomplete" or "response.failed")
            {
                Observe(frame.Data.Span, "response"u8);
            }
        }

        public void ObserveJson(ReadOnlySpan<byte> json) => Observe(json, default);

        /// <summary>Reads the usage of the response object at <paramref name="member"/> of <paramref name="json"/> (the root when empty).</summary>
        private void Observe(ReadOnlySpan<byte> json, ReadOnlySpan<byte> member)
        {
            try
            {
                var reader = new Utf8JsonReader(json);
                if (reader.Read()
                    && (member.IsEmpty || RelayJson.MoveToMember(ref reader, member))
                    && RelayJson.MoveToMember(ref reader, "usage"u8) && reader.TokenType == JsonTokenType.StartObject
                    && RelayJson.ReadUsage(ref reader, UsageMembers.Responses) is { } found && found != Usage.Empty)
                {
                    Usage = found;
                }
            }
            catch (JsonException)
            {
                // Not a response object: the ledger keeps what it had.
            }
        }
    }
}
