using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core.Storage;
using Godex.Server.Access;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Benchmarks;

/// <summary>
/// What client keys add to one request: <see cref="ClientKeyMiddleware"/> authenticating a <c>gxk_</c> key (HMAC +
/// in-memory lookup), running the limiter (bucket, quota, concurrency), setting the <c>x-ratelimit-*</c> headers and
/// queueing the ledger row (the SQLite writer runs in the background on a real database file, as in the proxy).
/// The endpoint is a no-op that reports usage, so the numbers are the overhead alone.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PercentilesConfig))]
public class KeyMiddlewareBenchmarks : IDisposable
{
    private string _dir = "";
    private ServiceProvider _services = null!;
    private ClientKeyMiddleware _middleware = null!;
    private string _secret = "";
    private UsageLedgerWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "godex-bench-" + Guid.NewGuid().ToString("N"));
        var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
        var store = new SqliteKeyStore(database, TimeProvider.System);
        _secret = store.CreateAsync(new NewClientKey { Label = "bench", Rate = "100000000/s", Burst = 100_000_000, QuotaTokens = long.MaxValue / 2 }, CancellationToken.None).AsTask().GetAwaiter().GetResult().Secret;
        var cache = new KeyCache(store, TimeProvider.System);
        cache.ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
        var ledger = new SqliteUsageLedger(database);
        var limiter = new KeyLimiter(TimeProvider.System, new LimitDefaults(null, 10, TimeSpan.FromDays(1)), ledger.TokensSince);
        _writer = new UsageLedgerWriter(ledger, limiter);

        var services = new ServiceCollection();
        services.AddSingleton(cache);
        services.AddSingleton(limiter);
        services.AddSingleton<IUsageRecorder>(_writer);
        services.AddSingleton(TimeProvider.System);
        _services = services.BuildServiceProvider();

        var usage = new Usage { InputTokens = 120, OutputTokens = 40 };
        _middleware = new ClientKeyMiddleware(
            context =>
            {
                RequestUsage.Report(context, "gpt-5.2-codex", "codex", usage);
                context.Response.StatusCode = 200;
                return Task.CompletedTask;
            },
            new GodexOptions(),
            NullLogger<ClientKeyMiddleware>.Instance,
            _services);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    public void Dispose()
    {
        _services?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One authenticated, limited and metered request through the middleware.</summary>
    [Benchmark]
    public Task AuthLimitsAndMetering()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        context.Request.Headers.Authorization = "Bearer " + _secret;
        return _middleware.InvokeAsync(context);
    }

    private sealed class PercentilesConfig : ManualConfig
    {
        public PercentilesConfig()
        {
            AddColumn(StatisticColumn.P95, StatisticColumn.Max);
        }
    }
}
