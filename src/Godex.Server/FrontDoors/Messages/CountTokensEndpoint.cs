using System.Text;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects.Messages;
using Godex.Core.Routing;
using Godex.Core.Tokens;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.Messages;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>: forwarded to Anthropic for Claude models (the exact count); for models of
/// other backends, the count of the real <c>o200k_base</c> tokenizer with OpenAI's framing rules
/// (<see cref="PromptTokenCount"/>), the same one <c>message_start</c> reports before the upstream has.
/// </summary>
internal static class CountTokensEndpoint
{
    public const string Path = "/v1/messages/count_tokens";

    public static async Task HandleAsync(HttpContext context, ILogger logger)
    {
        FrontDoor door = FrontDoor.Messages;
        IServiceProvider services = context.RequestServices;
        var router = services.GetRequiredService<ModelRouter>();
        var options = services.GetRequiredService<GodexOptions>();
        (ReadOnlyMemory<byte> body, BackendError? bodyError) = await RequestBody.ReadAsync(context, options.Proxy.MaxRequestBodyBytes);
        if (bodyError is not null)
        {
            await door.WriteErrorAsync(context, bodyError);
            return;
        }

        string? model = MessagesRequestReader.PeekRouting(body.Span).Model;
        if (model is null)
        {
            await door.WriteErrorAsync(context, BackendError.InvalidRequest("model: required, a string", "model"));
            return;
        }

        if (!router.TryResolve(model, out ModelRoute? route))
        {
            await door.WriteErrorAsync(context, FrontDoorHandling.ModelNotFound(model, router, options));
            return;
        }

        if (FrontDoorHandling.PassthroughOf(route, door) is { } passthrough)
        {
            await MessagesEndpoints.RelayAsync(context, logger, route, passthrough, body, stream: false, operation: "count_tokens");
            return;
        }

        // count_tokens bodies carry no max_tokens; the Messages parser requires one, so lend it a placeholder.
        byte[] parseable = WithPlaceholderMaxTokens(body.Span);
        if (!MessagesRequestReader.TryParseRequest(parseable, options.Proxy.Model, out ChatRequest? request, out BackendError? parseError))
        {
            await door.WriteErrorAsync(context, parseError);
            return;
        }

        long tokens = PromptTokenCount.Count(request, context.RequestAborted);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("input_tokens"u8, tokens);
            w.WriteEndObject();
        });
    }

    private static byte[] WithPlaceholderMaxTokens(ReadOnlySpan<byte> body)
    {
        int brace = body.IndexOf((byte)'{');
        if (brace < 0)
        {
            return body.ToArray();
        }

        byte[] insert = Encoding.UTF8.GetBytes("\"max_tokens\":1,");
        byte[] result = new byte[body.Length + insert.Length];
        body[..(brace + 1)].CopyTo(result);
        insert.CopyTo(result.AsSpan(brace + 1));
        body[(brace + 1)..].CopyTo(result.AsSpan(brace + 1 + insert.Length));
        return result;
    }
}
