using System.Globalization;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Results;

/// <summary>
/// Error answers in each client's dialect, written in one place so that the front doors, client access, payments and
/// the host's own errors all answer alike: the status, <c>Retry-After</c> when known, and the dialect's error body.
/// </summary>
internal static class ErrorResponses
{
    /// <summary>
    /// OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c> (Chat Completions and Responses clients). An
    /// upstream 529 (Anthropic's "overloaded") is a 503 here: OpenAI clients know that status, and retry it.
    /// </summary>
    public static Task WriteOpenAIAsync(HttpContext context, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Status == 529)
        {
            error = error with { Status = StatusCodes.Status503ServiceUnavailable, Type = "server_error", Code = error.Code ?? "overloaded" };
        }

        SetRetryAfter(context, error);
        return JsonResponse.WriteAsync(context, error.Status, w => ChatCompletionsJsonWriter.WriteError(w, error));
    }

    /// <summary>Anthropic's shape, <c>{"type":"error","error":{"type","message"}}</c> (Messages clients).</summary>
    public static Task WriteAnthropicAsync(HttpContext context, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        SetRetryAfter(context, error);
        return JsonResponse.WriteAsync(context, error.Status, w => MessagesJsonWriter.WriteError(w, error));
    }

    /// <summary>The dialect of the request's path: Anthropic's for <c>/v1/messages*</c>, OpenAI's elsewhere.</summary>
    public static Task WriteForPathAsync(HttpContext context, BackendError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        return IsAnthropicPath(context.Request.Path) ? WriteAnthropicAsync(context, error) : WriteOpenAIAsync(context, error);
    }

    /// <summary>True for the paths whose clients speak Anthropic's dialect.</summary>
    public static bool IsAnthropicPath(PathString path) => path.StartsWithSegments("/v1/messages");

    private static void SetRetryAfter(HttpContext context, BackendError error)
    {
        if (error.RetryAfter is { } retryAfter)
        {
            long seconds = Math.Max(0, (long)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
    }
}
