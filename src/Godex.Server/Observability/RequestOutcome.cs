using System.Text.Json;
using Godex.Core.Conversation;
using Godex.Core;

namespace Godex.Server.Observability;

/// <summary>
/// One finished <c>/v1</c> request as every observer sees it: metrics, the JSON request log, the audit file and the
/// live event feed (<c>godex proxy attach</c>, later the dashboard). Never a secret: the key is named by its id.
/// </summary>
internal sealed record RequestOutcome(
    DateTimeOffset Timestamp,
    string RequestId,
    string KeyId,
    string Door,
    string Method,
    string Path,
    string Model,
    string Backend,
    string? Account,
    int Status,
    bool Stream,
    Usage Usage,
    long CostMicros,
    TimeSpan? TimeToFirstByte,
    TimeSpan Duration)
{
    /// <summary>The event's JSON fields (no enclosing object), shared by the log, the audit file and the feed.</summary>
    public void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("ts"u8, Timestamp);
        writer.WriteString("request_id"u8, RequestId);
        writer.WriteString("key_id"u8, KeyId);
        writer.WriteString("door"u8, Door);
        writer.WriteString("method"u8, Method);
        writer.WriteString("path"u8, Path);
        writer.WriteString("model"u8, Model);
        writer.WriteString("backend"u8, Backend);
        if (Account is not null)
        {
            writer.WriteString("account"u8, Account);
        }

        writer.WriteNumber("status"u8, Status);
        writer.WriteBoolean("stream"u8, Stream);
        writer.WriteNumber("input_tokens"u8, Usage.InputTokens);
        writer.WriteNumber("output_tokens"u8, Usage.OutputTokens);
        writer.WriteNumber("cached_tokens"u8, Usage.CachedInputTokens);
        writer.WriteNumber("reasoning_tokens"u8, Usage.ReasoningTokens);
        writer.WriteNumber("cost_micros"u8, CostMicros);
        writer.WriteString("cost_usd"u8, Money.Usd(CostMicros));
        if (TimeToFirstByte is { } ttfb)
        {
            writer.WriteNumber("ttfb_ms"u8, Math.Round(ttfb.TotalMilliseconds, 3));
        }

        writer.WriteNumber("duration_ms"u8, Math.Round(Duration.TotalMilliseconds, 3));
    }

    /// <summary>The front door of a path, as metrics and logs name it.</summary>
    public static string DoorOf(string path) => path switch
    {
        "/v1/chat/completions" => "chat_completions",
        "/v1/messages" => "messages",
        "/v1/messages/count_tokens" => "count_tokens",
        _ when path.StartsWith("/v1/responses", StringComparison.Ordinal) => "responses",
        _ when path.StartsWith("/v1/models", StringComparison.Ordinal) => "models",
        _ => "other",
    };
}
