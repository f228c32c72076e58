using System.Globalization;
using Godex.Core.Conversation;
using Godex.Core.Dialects.ChatCompletions;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Results;

/// <summary>
/// An OpenAI-shaped error response: the status of <see cref="BackendError.Status"/>, a <c>Retry-After</c> header when the
/// upstream gave one, and <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
internal sealed class OpenAIErrorResult : IResult
{
    private readonly BackendError _error;

    public OpenAIErrorResult(BackendError error) => _error = error;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, _error);

    public static Task WriteAsync(HttpContext context, BackendError error)
    {
        if (error.RetryAfter is { } retryAfter)
        {
            long seconds = Math.Max(0, (long)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return JsonResponse.WriteAsync(context, error.Status, w => ChatCompletionsJsonWriter.WriteError(w, error));
    }
}
