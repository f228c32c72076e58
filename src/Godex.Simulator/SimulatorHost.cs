using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godex.Simulator;

/// <summary>
/// The simulated upstreams on their own Kestrel server, loopback only. Start one per test (port 0 picks a free
/// port) or one for demo mode; point providers at <see cref="BaseUrl"/>.
/// </summary>
internal sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, Uri baseUrl, SimulatorState state)
    {
        _app = app;
        BaseUrl = baseUrl;
        State = state;
    }

    /// <summary>Root of the simulator, e.g. <c>http://127.0.0.1:41234</c> (no trailing path).</summary>
    public Uri BaseUrl { get; }

    public SimulatorState State { get; }

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        IPEndPoint endPoint = ParseListen(options.Listen);
        var state = new SimulatorState(options);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(endPoint));
        WebApplication app = builder.Build();
        app.MapSimulator(state);
        await app.StartAsync(cancellationToken);

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new SimulatorHost(app, new Uri(address), state);
    }

    /// <summary>
    /// Runs until the process is asked to stop (Ctrl+C, SIGTERM: the host's console lifetime handles those signals)
    /// or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    // Loopback only: the simulator accepts any credential, so it must never be reachable from another machine.
    private static IPEndPoint ParseListen(string listen)
    {
        if (!IPEndPoint.TryParse(listen, out IPEndPoint? endPoint))
        {
            int colon = listen.LastIndexOf(':');
            string host = colon < 0 ? listen : listen[..colon];
            int port = colon < 0 ? 0 : int.Parse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            endPoint = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                ? new IPEndPoint(IPAddress.Loopback, port)
                : throw new ArgumentException("Listen must be host:port on a loopback address, got '" + listen + "'.", nameof(listen));
        }

        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new ArgumentException("The simulator listens on loopback only, got '" + listen + "'.", nameof(listen));
        }

        return endPoint;
    }
}
