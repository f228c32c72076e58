using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// A real HTTP upstream on 127.0.0.1:0 that answers the Codex and Anthropic endpoints with recorded bytes, verbatim,
/// and keeps the request bodies it received.
/// </summary>
internal sealed class FixtureUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string ContentType, byte[] Body)> _responses = new();

    private FixtureUpstream(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Queues the answer to the next request.</summary>
    public void Enqueue(byte[] body, int status = 200, string contentType = "text/event-stream") =>
        _responses.Enqueue((status, contentType, body));

    public static async Task<FixtureUpstream> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        FixtureUpstream? upstream = null;
        RequestDelegate serve = async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            upstream!.Requests.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
            if (!upstream._responses.TryDequeue(out var response))
            {
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("{\"error\":{\"message\":\"fixture upstream: nothing queued\"}}", context.RequestAborted);
                return;
            }

            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
        };
        app.MapPost("/backend-api/codex/responses", serve);
        app.MapPost("/v1/messages", serve);
        await app.StartAsync(TestContext.Current.CancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream = new FixtureUpstream(app, new Uri(address));
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
