using System.Runtime.CompilerServices;
using Godex.Composition;
using Godex.Core;
using Godex.Core.Backends;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Core.Continuity;
using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core.Routing;
using Godex.Core.State;
using Godex.Core.Spend;
using Godex.Core.Storage;
using Godex.Server.Access;
using Godex.Server.Admin;
using Godex.Server.Dashboard;
using Godex.Server.FrontDoors;
using Godex.Server.Observability.Audit;
using Godex.Server.FrontDoors.ChatCompletions;
using Godex.Server.FrontDoors.Messages;
using Godex.Server.FrontDoors.Models;
using Godex.Server.FrontDoors.Responses;
using Godex.Server.Observability.Metrics;
using Godex.Server.Observability;
using Godex.Server.Payments;
using Godex.Server.Observability.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Resources;

namespace Godex.Server.Hosting;

/// <summary>
/// The composition root of <c>godex proxy</c>: decides between real backends and the built-in simulator, builds
/// the providers and the router, and hosts the front doors on Kestrel. Tests start the same app on 127.0.0.1:0.
/// </summary>
/// <remarks>
/// <code>
/// client ─► Kestrel ─► ClientKeyMiddleware ─► endpoint (dialect) ─► ModelRouter ─► IChatBackend ─► upstream
///                                                                                                 (or the simulator)
/// </code>
/// </remarks>
public sealed partial class GodexApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatedUpstream? _simulator;
    private readonly GodexState? _state;
    private readonly CancellationTokenSource _stopMaintenance = new();
    private Task? _maintenance;

    private GodexApp(WebApplication app, Uri baseUrl, SimulatedUpstream? simulator, GodexState? state)
    {
        _app = app;
        BaseUrl = baseUrl;
        _simulator = simulator;
        _state = state;
    }

    /// <summary>The address the proxy really listens on (the port is resolved when 0 was asked for).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The separate metrics listener (<c>proxy.metrics.listen</c>), when there is one.</summary>
    public Uri? MetricsUrl { get; private init; }

    /// <summary>The simulator serving as upstream, when godex runs in simulator mode.</summary>
    public Uri? SimulatorUrl => _simulator?.BaseUrl;

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Builds and starts the proxy. <paramref name="options"/> is final (defaults, file, environment and flags applied);
    /// in simulator mode its backend URLs and credentials are pointed at the simulator.
    /// </summary>
    public static async Task<GodexApp> StartAsync(
        GodexOptions options,
        IReadOnlyCollection<string> configWarnings,
        CancellationToken cancellationToken,
        Action<ILoggingBuilder>? configureLogging = null,
        TimeProvider? timeProvider = null)
    {
        ListenAddress listen;
        try
        {
            listen = ListenAddress.Parse(options.Proxy.Listen);
        }
        catch (ConfigException ex)
        {
            throw new GodexStartupException(ex.Message, ex);
        }

        if (GodexState.IsOff(options.Proxy.Database))
        {
            await EnsureListenIsGuardedAsync(options, null, TimeProvider.System, cancellationToken); // before any file is touched
        }

        NativeAllocatorTuning.EnsureApplied(); // before the server's threads make their first native allocations
        EnsureThreadPoolHeadroom();
        GodexState? state = null;
        if (!GodexState.IsOff(options.Proxy.Database))
        {
            try
            {
                state = await GodexState.OpenAsync(options.Proxy.Database, timeProvider ?? TimeProvider.System, cancellationToken, syncNewFileLater: true);
                await EnsureListenIsGuardedAsync(options, state, timeProvider ?? TimeProvider.System, cancellationToken);
            }
            catch (StorageException ex)
            {
                throw new GodexStartupException(ex.Message, ex);
            }
        }

        string? adminSocket = state is not null && !GodexState.IsOff(options.Proxy.AdminSocket) ? GodexDatabase.ExpandHome(options.Proxy.AdminSocket) : null;
        if (adminSocket is not null)
        {
            PrepareSocket(adminSocket);
        }

        IReadOnlyList<RegisteredAccount> added = state?.Sqlite is { } sqlite ? new SqliteAccountRegistry(sqlite).List(null) : [];
        SimulatedUpstream? simulator = await SimulatedUpstream.StartIfWantedAsync(options, cancellationToken, added);

        // appsettings.json (read from the working directory by every WebApplicationBuilder) is read once, not watched:
        // watching it starts a FileSystemWatcher that, on Linux, adds an inotify watch to every directory below the
        // working directory (a home directory or a source tree: thousands of directories walked at startup) and keeps
        // a thread for it. godex reads its own settings once at startup anyway.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        if (options.Proxy.LogFormat == "json")
        {
            // One JSON object per line; the per-request object comes from RequestTelemetry (category Godex.Requests).
            builder.Logging.AddJsonConsole(console =>
            {
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
                console.IncludeScopes = true; // the request id (RequestIdMiddleware) on every line a request logs
            });
        }

        builder.Logging.SetMinimumLevel(LogLevels.Parse(options.Proxy.LogLevel));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting starts an Activity and a log scope for every request whenever this category is enabled at any level:
        // ~2 % of the CPU in bench (a), for request-start/finish lines that are Information (filtered anyway). Failures
        // are logged by Kestrel's own category.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // The host logs a failed start (a busy port) with its whole stack trace; godex reports it as one line instead
        // (GodexStartupException below). It hosts no background services whose failures this category would report.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        configureLogging?.Invoke(builder.Logging);

        ListenAddress? metricsListen = options.Proxy.Metrics is { Enabled: true, Listen: { } metricsAddress } ? ListenAddress.Parse(metricsAddress) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // the endpoints enforce proxy.max_body_bytes with a proper 413 body
            kestrel.Limits.RequestHeadersTimeout = options.Proxy.RequestHeadersTimeout;
            // Kestrel's default, stated: a body slower than 240 bytes/s after 5 s (a stalled or 1-byte-a-second upload)
            // fails its read with a 408, which RequestBody answers in the front door's dialect.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            kestrel.Listen(listen.Address, listen.Port, endpoint => endpoint.Use(HostErrorResponses.Wrap));
            if (metricsListen is not null)
            {
                kestrel.Listen(metricsListen.Value.Address, metricsListen.Value.Port);
            }

            if (adminSocket is not null)
            {
                kestrel.ListenUnixSocket(adminSocket, endpoint => endpoint.Use(HostErrorResponses.Wrap));
            }
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Proxy);
        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton(new RequestBodyBudget(Math.Max(options.Proxy.MaxInFlightBodyBytes, options.Proxy.MaxRequestBodyBytes)));
        builder.Services.AddHostedService<IdleMemoryTrimmer>();
        builder.Services.AddSingleton<AccountPools>();
        builder.Services.AddSingleton<IReadOnlyList<IChatBackend>>(sp => BackendFactory.Create(options, sp));
        builder.Services.AddSingleton(sp => new ModelRouter(sp.GetRequiredService<IReadOnlyList<IChatBackend>>(), options.Routing));
        builder.Services.AddSingleton(sp => new ReasoningCache(options.Proxy.ReasoningCache, sp.GetRequiredService<TimeProvider>()));
        if (state is not null)
        {
            AddState(builder.Services, state, options.Proxy);
        }

        if (!string.IsNullOrEmpty(options.Proxy.AdminKey))
        {
            // The web dashboard exists only with an admin key to log in with (else /ui/ is a 404).
            builder.Services.AddSingleton(sp => new DashboardSessions(sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton<DashboardAssets>();
        }

        if (options.Proxy.Payments.Enabled)
        {
            await PaymentsSetup.AddAsync(builder.Services, options.Proxy.Payments, state, timeProvider ?? TimeProvider.System, cancellationToken);
        }

        AddObservability(builder.Services, options.Proxy);

        // Without a database (proxy.database: off) previous_response_id still works within the process.
        builder.Services.TryAddSingleton<IResponseStore>(sp => new InMemoryResponseStore(sp.GetRequiredService<TimeProvider>()));

        WebApplication app = builder.Build();

        // The metrics listener's real port, known once Kestrel has bound it (proxy.metrics.listen may ask for port 0).
        var metricsPort = new StrongBox<int>(metricsListen?.Port ?? 0);
        ConfigurePipeline(app, options, metricsListen is null ? null : metricsPort);

        try
        {
            if (state?.Postgres is { } postgres)
            {
                await postgres.StartBackgroundAsync(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<PostgresDatabase>(), cancellationToken);
            }

            if (app.Services.GetService<KeyCache>() is { } keys)
            {
                if (state?.Postgres is { } shared)
                {
                    // NOTIFY godex_keys from any instance (or the CLI): reload now, not at the next poll.
                    shared.Changed += channel =>
                    {
                        if (channel == PostgresDatabase.KeysChannel)
                        {
                            keys.NotifyChanged();
                        }
                    };
                }

                await keys.StartAsync(cancellationToken);
            }


            await app.StartAsync(cancellationToken);
            if (adminSocket is not null && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(adminSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (Exception ex) when (ex is StorageException or IOException)
        {
            await app.DisposeAsync();
            if (simulator is not null)
            {
                await simulator.DisposeAsync();
            }

            if (state is not null)
            {
                await state.DisposeAsync();
            }

            throw new GodexStartupException(
                ex is StorageException ? ex.Message
                : ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
                    ? $"cannot listen on {options.Proxy.Listen}: the address is in use (another godex? `godex doctor` tells); choose another with --listen"
                    : $"cannot listen on {options.Proxy.Listen}: {ex.Message}",
                ex);
        }

        string[] addresses = [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Where(a => !a.Contains("unix:", StringComparison.Ordinal))];
        var godex = new GodexApp(app, new Uri(addresses[0]), simulator, state)
        {
            MetricsUrl = metricsListen is null ? null : new Uri(addresses[^1]),
        };
        if (godex.MetricsUrl is not null)
        {
            Volatile.Write(ref metricsPort.Value, godex.MetricsUrl.Port);
        }

        if (app.Services.GetService<KeyLimiter>() is { IsShared: true } limiter)
        {
            godex._maintenance = Task.Run(() => godex.MaintainLimitsAsync(limiter), CancellationToken.None);
        }

        godex.LogStartup(options, configWarnings);
        return godex;
    }

    /// <summary>
    /// At least <see cref="MinWorkerThreads"/> thread-pool workers from the start. On one core (a container limit, or
    /// <c>taskset</c>) the pool starts with one worker and adds more only after it sees no progress for ~0.5 s, so a
    /// worker busy with SQLite (the usage ledger's batch, the key store's poll) stalled every request behind it: bench
    /// (a)/(c) pinned to one CPU showed p99 at c=64 of 0.5–1.4 s in some runs, ~10 ms with this headroom.
    /// </summary>
    private static void EnsureThreadPoolHeadroom()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        if (workers < MinWorkerThreads)
        {
            ThreadPool.SetMinThreads(MinWorkerThreads, completionPorts);
        }
    }

    private const int MinWorkerThreads = 4;

    private static void ConfigurePipeline(WebApplication app, GodexOptions options, StrongBox<int>? metricsPort)
    {
        if (options.Proxy.Metrics.Enabled)
        {
            // Before the request log and the key check: a scrape is neither a client request nor logged per line.
            MetricsSetup.Map(app, options.Proxy.Metrics, options.Proxy.AdminKey, metricsPort);
        }

        // Constructed here rather than by UseMiddleware<T>, which finds InvokeAsync and the constructor by reflection
        // and builds closed generic types at run time (Native AOT's type loader): ~4 % of a start's CPU for three
        // middlewares whose arguments are known.
        IServiceProvider services = app.Services;
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        app.Use(next => new RequestIdMiddleware(next, loggers.CreateLogger<RequestIdMiddleware>()).InvokeAsync);
        if (options.Proxy.LogRequests && options.Proxy.LogFormat != "json")
        {
            app.Use(next => new RequestLogMiddleware(next, loggers.CreateLogger<RequestLogMiddleware>()).InvokeAsync);
        }

        app.Use(next => new ClientKeyMiddleware(next, options, loggers.CreateLogger<ClientKeyMiddleware>(), services).InvokeAsync);
        app.MapHealth();
        app.MapReadiness();
        app.MapModels();
        app.MapChatCompletions();
        app.MapMessages();
        app.MapResponses();
        app.MapPricing(options.Proxy.Payments);
        app.MapAdmin();
        app.MapDashboard();
        app.MapUnknownRoutes();
    }

    /// <summary>
    /// A listen address beyond loopback needs a client key: the static <c>--api-key</c>, or an active (not revoked,
    /// not expired) key in the database, or an explicit <c>--allow-any-key</c>. Stored keys are enough because
    /// <see cref="ClientKeyMiddleware"/> then requires a key on every request for as long as the process runs, even
    /// if every stored key is revoked later.
    /// </summary>
    internal static async Task EnsureListenIsGuardedAsync(GodexOptions options, GodexState? state, TimeProvider time, CancellationToken cancellationToken)
    {
        ProxyOptions proxy = options.Proxy;
        if (ListenAddress.Parse(proxy.Listen).IsLoopback || !string.IsNullOrEmpty(proxy.ApiKey) || proxy.AllowAnyKey)
        {
            return;
        }

        if (state is not null)
        {
            DateTimeOffset now = time.GetUtcNow();
            IReadOnlyList<ClientKey> keys = await state.Keys.ListAsync(cancellationToken);
            if (keys.Any(k => !k.IsRevoked && !k.IsExpired(now)))
            {
                return;
            }
        }

        throw new GodexStartupException(
            $"refusing to listen on {proxy.Listen} (reachable from other machines) without a client key: set --api-key, add a client key (godex proxy keys add --label NAME), or --allow-any-key if that is really what you want");
    }

    /// <summary>
    /// Shared limits' housekeeping (<see cref="KeyLimiter.MaintainAsync"/>) every second: unused rate leases go back,
    /// quota counters re-read every instance's usage.
    /// </summary>
    private async Task MaintainLimitsAsync(KeyLimiter limiter)
    {
        ILogger logger = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("godex");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopMaintenance.Token))
            {
                try
                {
                    await limiter.MaintainAsync(_stopMaintenance.Token);
                }
                catch (Exception ex) when (ex is StorageException or Npgsql.NpgsqlException or TimeoutException)
                {
                    Log.LimitMaintenanceFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopMaintenance.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Keys, limits, the usage ledger, stored responses and account cooldowns on the database. The ledger writer
    /// flushes on shutdown (the container disposes it after the server stopped; the database closes after that).
    /// </summary>
    private static void AddState(IServiceCollection services, GodexState state, ProxyOptions proxy)
    {
        services.AddSingleton(state);
        if (state.Sqlite is { } sqlite)
        {
            services.AddSingleton(sqlite);

            // What the pools keep beside the shared cooldowns: reported usage and last errors, and accounts added
            // from the command line (SQLite only: on PostgreSQL, cooldowns are shared and the rest is per process).
            services.AddSingleton<IAccountStateStore>(new SqliteAccountStateStore(sqlite));
            services.AddSingleton(new SqliteAccountRegistry(sqlite));
        }

        services.AddSingleton(state.Keys);
        services.AddSingleton(state.Usage);
        services.AddSingleton(state.Responses);
        services.AddSingleton(state.Cooldowns);
        services.AddSingleton(sp => new KeyCache(sp.GetRequiredService<IKeyStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<KeyCache>()));
        services.AddSingleton(sp =>
        {
            IUsageLedger ledger = sp.GetRequiredService<IUsageLedger>();
            RateSpec? rate = proxy.DefaultRate is { } text ? RateSpec.Parse(text) : null;
            return new KeyLimiter(sp.GetRequiredService<TimeProvider>(), new LimitDefaults(rate, proxy.DefaultBurst, proxy.MeterWindow), ledger.TokensSince, state.SharedLimits, ledger.CostSince);
        });
        services.AddSingleton<IUsageRecorder>(sp =>
        {
            KeyCache keys = sp.GetRequiredService<KeyCache>();
            return new UsageLedgerWriter(
                sp.GetRequiredService<IUsageLedger>(),
                sp.GetRequiredService<KeyLimiter>(),
                keys.RefreshIfChanged,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<UsageLedgerWriter>())
            {
                BatchWritten = sp.GetService<GodexMetrics>() is { } metrics ? metrics.LedgerBatchWritten : null,
            };
        });
    }

    /// <summary>
    /// Prices, the request observers and, when asked for, metrics (OpenTelemetry + Prometheus exporter), traces
    /// (OpenTelemetry + OTLP) and the audit files. With metrics and tracing off no OpenTelemetry provider exists.
    /// </summary>
    private static void AddObservability(IServiceCollection services, ProxyOptions proxy)
    {
        services.AddSingleton(new PriceTable(proxy.Prices));
        services.AddSingleton<LiveEventFeed>();
        services.AddSingleton(sp => AuditLog.Create(proxy, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<AuditLog>())!);
        services.AddSingleton(sp => new RequestTelemetry(
            proxy,
            sp.GetService<GodexMetrics>(),
            proxy.AuditPath is null && proxy.TracePath is null && proxy.UpstreamAuditPath is null ? null : sp.GetRequiredService<AuditLog>(),
            sp.GetRequiredService<LiveEventFeed>(),
            sp.GetRequiredService<ILoggerFactory>()));
        if (!proxy.Metrics.Enabled && !proxy.Tracing.Enabled)
        {
            return;
        }

        OpenTelemetryBuilder telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("godex", serviceVersion: GodexVersion.Current));
        if (proxy.Metrics.Enabled)
        {
            MetricsSetup.Add(services, telemetry);
        }

        if (proxy.Tracing.Enabled)
        {
            TracingSetup.Add(telemetry, proxy.Tracing);
        }
    }

    private static void PrepareSocket(string path)
    {
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (File.Exists(path))
        {
            File.Delete(path); // a stale socket from a previous run; a live proxy on it would fail to listen on its port anyway
        }
    }

    private void LogStartup(GodexOptions options, IReadOnlyCollection<string> configWarnings)
    {
        ILogger logger = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("godex");
        foreach (string warning in configWarnings)
        {
            Log.ConfigWarning(logger, warning);
        }

        Log.Listening(logger, GodexVersion.Current, BaseUrl);
        if (_state is not null)
        {
            Log.Database(logger, _state.Description);
        }

        IReadOnlyDictionary<string, object> gc = GC.GetConfigurationVariables();
        string nativeAllocator = NativeAllocatorTuning.EnsureApplied();
        Log.GarbageCollector(
            logger,
            System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
            gc.TryGetValue("ConcurrentGC", out object? concurrent) ? concurrent : "?",
            gc.TryGetValue("GCConserveMem", out object? conserve) ? conserve : "?",
            nativeAllocator);
        if (string.IsNullOrEmpty(options.Proxy.ApiKey))
        {
            Log.NoClientKey(logger);
        }

        if (_simulator is not null)
        {
            Log.SimulatorMode(logger, _simulator.BaseUrl);
            return;
        }

        foreach (IChatBackend backend in _app.Services.GetRequiredService<IReadOnlyList<IChatBackend>>())
        {
            string description = BackendFactory.Describe(backend.Name, options);
            if (backend is IPooledBackend { Pool: { Accounts.Count: > 1 } pool })
            {
                description += $"; {pool.Accounts.Count} accounts ({string.Join(", ", pool.Accounts.Select(a => a.Name))}), {PoolStrategies.Name(pool.Strategy)}";
            }

            Log.Backend(logger, backend.Name, description);
        }
    }

    /// <summary>Runs until the process is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopMaintenance.CancelAsync();
        if (_maintenance is not null)
        {
            await _maintenance;
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        // After the container: the usage ledger's last batch is written before the database closes.
        if (_state is not null)
        {
            await _state.DisposeAsync();
        }

        _stopMaintenance.Dispose();
    }

    // EventIds 1-8; next free: 9.
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Listening", Level = LogLevel.Information, Message = "godex {Version} listening on {Url}")]
        public static partial void Listening(ILogger logger, string version, Uri url);

        [LoggerMessage(EventId = 2, EventName = "SimulatorMode", Level = LogLevel.Warning, Message = "No Codex or Claude login found: serving every model from the built-in simulator at {Url} (answers are simulated). Log in with `codex login` or `claude`, or set an API key, to use real backends; --simulator off disables this.")]
        public static partial void SimulatorMode(ILogger logger, Uri url);

        [LoggerMessage(EventId = 3, EventName = "Backend", Level = LogLevel.Information, Message = "backend {Name}: {Description}")]
        public static partial void Backend(ILogger logger, string name, string description);

        [LoggerMessage(EventId = 4, EventName = "NoClientKey", Level = LogLevel.Information, Message = "no client key configured: any local client is accepted (set --api-key to require one)")]
        public static partial void NoClientKey(ILogger logger);

        [LoggerMessage(EventId = 5, EventName = "ConfigWarning", Level = LogLevel.Warning, Message = "config: {Warning}")]
        public static partial void ConfigWarning(ILogger logger, string warning);

        [LoggerMessage(EventId = 6, EventName = "LimitMaintenanceFailed", Level = LogLevel.Warning, Message = "Shared limits housekeeping failed; retrying in 1 s")]
        public static partial void LimitMaintenanceFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 7, EventName = "Database", Level = LogLevel.Information, Message = "state: {Database}")]
        public static partial void Database(ILogger logger, string database);

        [LoggerMessage(EventId = 8, EventName = "GarbageCollector", Level = LogLevel.Information, Message = "gc: {Kind}, concurrent {Concurrent}, conserve memory {ConserveMemory}; malloc: {NativeAllocator}")]
        public static partial void GarbageCollector(ILogger logger, string kind, object concurrent, object conserveMemory, string nativeAllocator);
    }
}
