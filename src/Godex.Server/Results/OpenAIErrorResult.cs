using System.Globalization;
using Godex.Conversation;
using Godex.Protocols.OpenAI;
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

        return JsonResponse.WriteAsync(context, error.Status, w => ChatCompletionJson.WriteError(w, error));
    }
}
