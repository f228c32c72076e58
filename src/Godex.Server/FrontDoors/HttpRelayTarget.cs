using System.IO.Pipelines;
using Godex.Core.Conversation;
using Godex.Core.Relay;
using Godex.Core.Routing;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Godex.Server.FrontDoors;

/// <summary>The HTTP response of a front door as the relay's client side.</summary>
internal sealed class HttpRelayTarget(HttpContext context, FrontDoor door, ModelRoute route) : IRelayTarget
{
    private PipeWriter? _body;

    // Written to twice per event: the writer is looked up once (the property goes through the feature collection).
    public PipeWriter Body => _body ??= context.Response.BodyWriter;

    public async ValueTask StartAsync(int status, string contentType, IReadOnlyList<KeyValuePair<string, string>> headers, long? contentLength)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        foreach ((string name, string value) in headers)
        {
            response.Headers[name] = value;
        }

        if (contentLength is { } length)
        {
            response.ContentLength = length;
            return;
        }

        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(context.RequestAborted);
    }

    public Task WriteErrorAsync(BackendError error) => door.WriteErrorAsync(context, error);

    public void ReportUsage(Usage usage) => RequestUsage.Report(context, route.Model, route.Backend.Name, usage);
}
