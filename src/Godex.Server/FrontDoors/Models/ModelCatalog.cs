using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Routing;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.Models;

/// <summary>
/// The aggregated model list of every backend, cached for <see cref="ProxyOptions.ModelsCacheTtl"/>. Backends are
/// queried in parallel; one that fails is logged and left out, and a refresh where every backend failed is not cached.
/// One refresh at a time (single flight); readers never block on a fresh snapshot.
/// </summary>
#pragma warning disable CA1001 // The catalog lives as long as the app; SemaphoreSlim needs disposal only when AvailableWaitHandle was used, which it never is.
internal sealed partial class ModelCatalog
#pragma warning restore CA1001
{
    private readonly ModelRouter _router;
    private readonly GodexOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile Snapshot? _snapshot;

    public ModelCatalog(ModelRouter router, GodexOptions options, TimeProvider time, ILogger<ModelCatalog> logger)
    {
        _router = router;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public async Task<IReadOnlyList<ModelInfo>> GetModelsAsync(CancellationToken cancellationToken)
    {
        if (TryGetFresh(out IReadOnlyList<ModelInfo>? cached))
        {
            return cached;
        }

        await _refreshGate.WaitAsync(cancellationToken);
        try
        {
            if (TryGetFresh(out cached))
            {
                return cached;
            }

            IChatBackend[] backends = [.. _router.Backends];
            IReadOnlyList<ModelInfo>?[] lists = await Task.WhenAll(backends.Select(b => ListAsync(b, cancellationToken)));
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var models = new List<ModelInfo>();
            bool anySucceeded = false;
            foreach (IReadOnlyList<ModelInfo>? list in lists)
            {
                if (list is null)
                {
                    continue;
                }

                anySucceeded = true;
                foreach (ModelInfo model in list)
                {
                    if (seen.Add(model.Id))
                    {
                        models.Add(model);
                    }
                }
            }

            if (anySucceeded || backends.Length == 0)
            {
                _snapshot = new Snapshot(models, _time.GetUtcNow() + _options.Proxy.ModelsCacheTtl);
            }

            return models;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>The cached list when it is still fresh; never calls a backend.</summary>
    public bool TryGetFresh([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IReadOnlyList<ModelInfo>? models)
    {
        Snapshot? snapshot = _snapshot;
        if (snapshot is not null && _time.GetUtcNow() < snapshot.ExpiresAt)
        {
            models = snapshot.Models;
            return true;
        }

        models = null;
        return false;
    }

    private async Task<IReadOnlyList<ModelInfo>?> ListAsync(IChatBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            return await backend.ListModelsAsync(cancellationToken);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            Log.ListModelsFailed(_logger, backend.Name, ex);
            return null;
        }
    }

    private sealed record Snapshot(IReadOnlyList<ModelInfo> Models, DateTimeOffset ExpiresAt);

    // Next event id: 1201.
    private static partial class Log
    {
        [LoggerMessage(1200, LogLevel.Warning, "Backend {Backend} could not list its models; leaving it out of /v1/models", EventName = "ListModelsFailed")]
        public static partial void ListModelsFailed(ILogger logger, string backend, Exception exception);
    }
}
