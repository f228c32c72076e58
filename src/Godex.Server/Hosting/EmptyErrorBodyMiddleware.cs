using Godex.Core.Conversation;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Hosting;

/// <summary>
/// The outermost middleware: a 404 (no route) or 405 (a route, another method) that routing ended with an empty body
/// gets the front door's error body, Anthropic's for <c>/v1/messages*</c> and OpenAI's elsewhere (issue 14, item 10).
/// Responses that started or carry a body pass untouched.
/// </summary>
internal sealed class EmptyErrorBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        HttpResponse response = context.Response;
        if (response.HasStarted || response.ContentLength is > 0 || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        BackendError? error = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => new BackendError(StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, $"no such endpoint: {context.Request.Method} {Truncated(context.Request.Path.Value)}") { Code = "unknown_url" },
            StatusCodes.Status405MethodNotAllowed => new BackendError(StatusCodes.Status405MethodNotAllowed, BackendErrorTypes.InvalidRequest, $"{context.Request.Method} is not allowed on {Truncated(context.Request.Path.Value)} (allowed: {response.Headers.Allow})") { Code = "method_not_allowed" },
            _ => null,
        };
        if (error is not null)
        {
            await ErrorResponses.WriteForPathAsync(context, error);
        }
    }

    /// <summary>A path echoed in an error: at most 200 characters (the request line may hold 8 KB).</summary>
    private static string Truncated(string? path) => path is { Length: > 200 } ? path[..200] + "…" : path ?? "/";
}
