using System.Text;
using Godex.Core.Backends;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Routing;
using Godex.Core.Storage;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors;

/// <summary>
/// The steps every front door takes the same way: running a handler (a client that hangs up ends it quietly; a bug
/// before the first byte is a 500 in the door's dialect), admitting a routed request, and the 404 for a model nobody
/// serves.
/// </summary>
internal static class FrontDoorHandling
{
    /// <summary>Runs <paramref name="handler"/> for one request of <paramref name="door"/>.</summary>
    public static async Task RunAsync(HttpContext context, FrontDoor door, ILogger logger, Func<HttpContext, Task> handler)
    {
        CancellationToken aborted = context.RequestAborted;
        try
        {
            await handler(context);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away; every upstream call was disposed on the way out, which cancelled it.
            FrontDoorLog.ClientDisconnected(logger, door.Name);
        }
        catch (Exception ex) when (StorageFailures.IsStorageFailure(ex) && !context.Response.HasStarted && !aborted.IsCancellationRequested)
        {
            // Not a bug: the database could not serve this request now (busy past its timeout, unreachable).
            FrontDoorLog.StorageUnavailable(logger, door.Name, ex.Message);
            await door.WriteErrorAsync(context, StorageUnavailable("retry shortly"));
        }
        catch (Exception ex) when (!context.Response.HasStarted && !aborted.IsCancellationRequested)
        {
            // A bug (expected failures are values): an honest 500 in the door's shape.
            FrontDoorLog.RequestFailed(logger, door.Name, ex);
            await door.WriteErrorAsync(context, new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while handling the request"));
        }
    }

    /// <summary>The 503 for a request the database could not serve now.</summary>
    internal static BackendError StorageUnavailable(string what) =>
        new(StatusCodes.Status503ServiceUnavailable, BackendErrorTypes.Server, "godex's database is busy or unavailable: " + what)
        {
            Code = "storage_unavailable",
            RetryAfter = TimeSpan.FromSeconds(1),
        };

    /// <summary>
    /// A routed request: logged, checked against the key's model allow-list (false, with the refusal written, when the
    /// key may not use the model) and reported to the usage ledger.
    /// </summary>
    public static async ValueTask<bool> AdmitAsync(HttpContext context, FrontDoor door, ILogger logger, string requested, ModelRoute route, bool stream)
    {
        FrontDoorLog.Routed(logger, door.Name, requested, route.Model, route.Backend.Name, stream);
        if (RequestUsage.CheckModel(context, route.Model) is { } notAllowed)
        {
            await door.WriteErrorAsync(context, notAllowed);
            return false;
        }

        RequestUsage.Report(context, route.Model, route.Backend.Name);
        return true;
    }

    /// <summary>The 404 for a model no route serves, naming the prefixes that are routed.</summary>
    public static BackendError ModelNotFound(string model, ModelRouter router, GodexOptions options)
    {
        var prefixes = new StringBuilder();
        var backends = new HashSet<string>(router.Backends.Select(b => b.Name), StringComparer.OrdinalIgnoreCase);
        foreach ((string backend, List<string> patterns) in options.Routing.Patterns)
        {
            if (!backends.Contains(backend))
            {
                continue;
            }

            foreach (string prefix in patterns)
            {
                prefixes.Append(prefixes.Length == 0 ? "" : ", ").Append(prefix).Append('*');
            }
        }

        string known = prefixes.Length == 0 ? "none" : prefixes.ToString();
        return new BackendError(StatusCodes.Status404NotFound, BackendErrorTypes.InvalidRequest,
            $"The model `{model}` does not exist or is not routed by godex (known prefixes: {known}; see GET /v1/models)")
        {
            Param = "model",
            Code = "model_not_found",
        };
    }

    /// <summary>The same-dialect capability of <paramref name="route"/>'s backend for <paramref name="door"/>, or null.</summary>
    public static IPassthroughBackend? PassthroughOf(ModelRoute route, FrontDoor door) =>
        door.RelayRules is not null && route.Backend is IPassthroughBackend passthrough && passthrough.CanPassThrough(door.Dialect) ? passthrough : null;

    /// <summary>The client's request headers that <paramref name="backend"/> forwards, each validated (unsafe values are dropped).</summary>
    public static UpstreamHeaders ForwardedHeaders(HttpContext context, IPassthroughBackend backend, FrontDoor door)
    {
        var headers = new UpstreamHeaders();
        IReadOnlyList<string> names = backend.ForwardedHeaders(door.Dialect);
        for (int i = 0; i < names.Count; i++) // by index: no enumerator boxed per request
        {
            string name = names[i];
            if (context.Request.Headers.TryGetValue(name, out var values) && values.Count > 0)
            {
                headers.TryAdd(name, values.Count == 1 ? values[0] : string.Join(',', values.ToArray()));
            }
        }

        return headers;
    }
}
