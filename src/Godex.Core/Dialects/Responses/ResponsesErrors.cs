using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.Responses;

/// <summary>The Responses dialect's in-stream errors: what they mean as error values, and how godex writes one.</summary>
internal static class ResponsesErrors
{
    /// <summary>
    /// The error an <c>error</c> event, or a failed response's <c>error</c> object, stands for: its code decides the
    /// status a client would have got as an HTTP answer.
    /// </summary>
    public static BackendError From(JsonElement error)
    {
        string? code = String(error, "code") ?? String(error, "type");
        string message = String(error, "message") ?? "the upstream failed the response";
        int status = code switch
        {
            "rate_limit_exceeded" or "usage_limit_reached" or "usage_not_included" => 429,
            "server_is_overloaded" or "slow_down" => 503,
            "context_length_exceeded" or "invalid_prompt" or "invalid_request_error" => 400,
            _ => 502,
        };
        return BackendError.Upstream(status, message) with { Code = code };
    }

    /// <summary>The error of an <c>error</c> event's data, or of a <c>response.failed</c> event's <c>response.error</c>.</summary>
    public static BackendError FromEventData(ReadOnlySpan<byte> data, bool failedResponse)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            JsonElement error = failedResponse
                ? root.ValueKind == JsonValueKind.Object && root.TryGetProperty("response", out JsonElement response)
                    && response.ValueKind == JsonValueKind.Object && response.TryGetProperty("error", out JsonElement inner) ? inner : default
                : root;
            return From(error);
        }
        catch (JsonException)
        {
            return From(default);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
