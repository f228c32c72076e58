using Godex.Core.Conversation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Hosting;

/// <summary>
/// Gives every request an id (<c>req_</c> + 24 random letters and digits) and puts it where an operator and a client
/// can meet: the <c>x-request-id</c> response header (both vendors' SDKs surface it on errors), also <c>request-id</c>
/// for Anthropic-dialect clients (the header Anthropic's SDKs read), <see cref="HttpContext.TraceIdentifier"/> (the
/// usage ledger's <c>request_id</c> column), and a log scope, so every log line written while the request runs names it.
/// First in the pipeline. A Messages passthrough relays Anthropic's own <c>request-id</c> over this one.
/// </summary>
internal sealed class RequestIdMiddleware
{
    public const string Header = "x-request-id";
    public const string AnthropicHeader = "request-id";

    private readonly RequestDelegate _next;
    private readonly ILogger<RequestIdMiddleware> _logger;

    public RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        string id = RandomIds.Create("req_", RandomIds.Alphanumeric, 24);
        context.TraceIdentifier = id;
        IHeaderDictionary headers = context.Response.Headers;
        headers[Header] = id;
        if (IsAnthropicDialect(context.Request))
        {
            headers[AnthropicHeader] = id;
        }

        using (_logger.BeginScope(new RequestIdScope(id)))
        {
            await _next(context);
        }
    }

    /// <summary>
    /// Whether the client speaks Anthropic's dialect: a <c>/v1/messages*</c> path, or the <c>anthropic-version</c>
    /// header every Anthropic SDK sends (on <c>/v1/models</c> too).
    /// </summary>
    public static bool IsAnthropicDialect(HttpRequest request) =>
        request.Path.StartsWithSegments("/v1/messages") || request.Headers.ContainsKey("anthropic-version");

    /// <summary>The log scope: prints as <c>request_id=req_…</c>, and carries <c>RequestId</c> for structured sinks.</summary>
    private sealed class RequestIdScope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("RequestId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "request_id=" + id;
    }
}
