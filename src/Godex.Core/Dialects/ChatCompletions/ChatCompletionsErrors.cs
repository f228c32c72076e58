using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Dialects.ChatCompletions;

/// <summary>
/// An OpenAI-compatible server's error object (<c>{"error":{"message","type","param","code"}}</c>, or
/// <c>{"error":"text"}</c> from some local servers) as a <see cref="BackendError"/>; inside a stream, where no HTTP
/// status says how bad it is, the status comes from its code or type.
/// </summary>
internal static class ChatCompletionsErrors
{
    /// <summary>The error <paramref name="root"/> (an object with an <c>error</c> member) stands for, or null when it has none.</summary>
    public static BackendError? FromRoot(JsonElement root, int? status = null)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error"u8, out JsonElement error))
        {
            return null;
        }

        string? message = null, type = null, code = null, param = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            message = String(error, "message"u8);
            type = String(error, "type"u8);
            code = String(error, "code"u8) ?? (error.TryGetProperty("code"u8, out JsonElement number) && number.ValueKind == JsonValueKind.Number ? number.GetRawText() : null);
            param = String(error, "param"u8);
        }
        else if (error.ValueKind == JsonValueKind.String)
        {
            message = error.GetString();
        }
        else if (error.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        return Create(message, type, code, param, status);
    }

    /// <summary>
    /// The error an OpenAI-compatible error object's fields stand for (all null for an error that is not an object, only
    /// <paramref name="message"/> for one that is a string); without <paramref name="status"/>, the status comes from
    /// its code or type.
    /// </summary>
    public static BackendError Create(string? message, string? type, string? code, string? param, int? status = null)
    {
        int mapped = status ?? StatusOf(code, type);
        string text = string.IsNullOrWhiteSpace(message) ? $"the upstream reported an error ({code ?? type ?? "no details"})" : message;
        return new BackendError(mapped, BackendErrorTypes.ForStatus(mapped), text) { Code = code, Param = param };
    }

    /// <summary>The status an in-stream error stands for.</summary>
    public static int StatusOf(string? code, string? type)
    {
        if (int.TryParse(code, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int numeric) && numeric is >= 400 and < 600)
        {
            // OpenRouter puts the HTTP status in code.
            return numeric == 500 ? 502 : numeric;
        }

        string kind = code ?? type ?? "";
        return kind switch
        {
            "rate_limit_exceeded" or "rate_limit_error" or "insufficient_quota" or "requests" or "tokens" => 429,
            "invalid_request_error" or "invalid_value" or "context_length_exceeded" => 400,
            "invalid_api_key" or "authentication_error" => 401,
            "model_not_found" or "not_found_error" => 404,
            "overloaded_error" or "server_is_overloaded" or "overloaded" => 529,
            "timeout" or "timeout_error" => 504,
            _ => 502,
        };
    }

    private static string? String(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
