using Godex.Composition;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Cli.Commands;

/// <summary>
/// The providers and router of one exec run, built exactly as the proxy builds them (BackendFactory, SimulatorMode),
/// with every upstream request body recorded at the HTTP layer for <c>--log-requests</c>.
/// </summary>
internal sealed class ExecBackends : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly SimulatedUpstream? _simulator;

    private ExecBackends(ServiceProvider services, ModelRouter router, RequestRecorder recorder, SimulatedUpstream? simulator)
    {
        _services = services;
        Router = router;
        Recorder = recorder;
        _simulator = simulator;
    }

    public ModelRouter Router { get; }

    public RequestRecorder Recorder { get; }

    /// <summary>True when the answers come from the built-in simulator.</summary>
    public bool Simulated => _simulator is not null;

    public static async Task<ExecBackends> CreateAsync(GodexOptions options, TextWriter error, LogLevel logLevel, CancellationToken cancellationToken)
    {
        SimulatedUpstream? simulator = await SimulatedUpstream.StartIfWantedAsync(options, cancellationToken);
        if (simulator is not null)
        {
            if (options.Proxy.Simulator != "on")
            {
                await error.WriteLineAsync("note: no Codex or Claude login found: answering from the built-in simulator (simulated answers). Run `godex auth setup` to use real backends.");
            }
        }

        var recorder = new RequestRecorder();
        ServiceProvider services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddLogging(logging =>
            {
                logging.ClearProviders();
                logging.SetMinimumLevel(logLevel);
                logging.AddProvider(new WriterLoggerProvider(error));
            })
            .BuildServiceProvider();
        IReadOnlyList<IChatBackend> backends = BackendFactory.Create(options, services, inner => new RecordingHandler(recorder, inner));
        return new ExecBackends(services, new ModelRouter(backends, options.Routing), recorder, simulator);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IChatBackend backend in Router.Backends)
        {
            (backend as IDisposable)?.Dispose();
        }

        await _services.DisposeAsync();
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    /// <summary>The bodies really sent upstream, in order (retries included).</summary>
    internal sealed class RequestRecorder
    {
        private readonly List<byte[]> _bodies = [];

        public IReadOnlyList<byte[]> Bodies
        {
            get
            {
                lock (_bodies)
                {
                    return [.. _bodies];
                }
            }
        }

        public void Add(byte[] body)
        {
            lock (_bodies)
            {
                _bodies.Add(body);
            }
        }
    }

    private sealed class RecordingHandler(RequestRecorder recorder, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                // The providers send buffered byte content, so reading it here does not consume anything.
                recorder.Add(await request.Content.ReadAsByteArrayAsync(cancellationToken));
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Provider diagnostics on stderr, one line each; never request content (the providers log none above Trace).</summary>
    private sealed class WriterLoggerProvider(TextWriter writer) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new WriterLogger(writer);

        public void Dispose()
        {
        }

        private sealed class WriterLogger(TextWriter writer) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            // The CLI's one style for diagnostics on stderr: "error: ...", "warning: ...", "note: ...".
            private static string Word(LogLevel level) => level switch
            {
                LogLevel.Critical or LogLevel.Error => "error",
                LogLevel.Warning => "warning",
                _ => "note",
            };

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (writer)
                {
                    writer.WriteLine($"{Word(logLevel)}: {formatter(state, exception)}");
                }
            }
        }
    }
}
