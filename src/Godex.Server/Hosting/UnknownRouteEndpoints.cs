using Godex.Core.Conversation;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godex.Server.Hosting;

/// <summary>
/// Anything under <c>/v1/</c> that no endpoint serves (an unknown path, or a known one with the wrong method, as
/// OpenAI answers both) gets a 404 with a JSON error in the client's dialect, naming the method and path. Without it
/// the answer was an empty 404 that the SDKs report as "404 status code (no body)".
/// </summary>
internal static class UnknownRouteEndpoints
{
    public static IEndpointConventionBuilder MapUnknownRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapFallback("/v1/{**path}", (RequestDelegate)(context =>
        {
            HttpRequest request = context.Request;
            bool anthropic = RequestIdMiddleware.IsAnthropicDialect(request);
            string message = $"Invalid URL ({request.Method} {request.Path}): godex serves POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models";
            var error = new BackendError(StatusCodes.Status404NotFound, anthropic ? BackendErrorTypes.NotFound : BackendErrorTypes.InvalidRequest, message)
            {
                Code = "unknown_url",
            };
            return anthropic ? ErrorResponses.WriteAnthropicAsync(context, error) : ErrorResponses.WriteOpenAIAsync(context, error);
        }));
}
