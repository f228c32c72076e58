using System.Text.Json;
using Godex.Core.Backends;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Limits;
using Godex.Core.Routing;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Admin;

/// <summary>
/// <c>GET /admin/routes</c>: which model goes where — the enabled backends with their <c>routing.patterns</c> prefixes
/// and models (a custom backend's discovered list, cached as <c>/v1/models</c> caches it), the aliases (built-in and
/// the config's), <c>routing.default</c> and <c>routing.fallbacks</c>. <c>GET /admin/routes?model=X</c> is the probe:
/// what the router does with that name right now — backend, upstream model, the account a new conversation would get —
/// resolved in memory with no upstream call.
/// </summary>
internal static class AdminRoutes
{
    /// <summary>A custom backend's model discovery that does not answer in time leaves its list empty rather than the page waiting.</summary>
    private static readonly TimeSpan s_modelsTimeout = TimeSpan.FromSeconds(3);

    public static async Task HandleAsync(HttpContext context)
    {
        ModelRouter? router = context.RequestServices.GetService<ModelRouter>();
        GodexOptions options = context.RequestServices.GetRequiredService<GodexOptions>();
        if (context.Request.Query.ContainsKey("model"))
        {
            string model = context.Request.Query["model"].ToString().Trim();
            if (model.Length is 0 or > InputLimits.MaxModelLength)
            {
                await ErrorResponses.WriteOpenAIAsync(context, new BackendError(StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, $"model: a model name of 1 to {InputLimits.MaxModelLength} characters") { Param = "model" });
                return;
            }

            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => WriteProbe(w, router, options.Routing, model));
            return;
        }

        IReadOnlyList<IChatBackend> backends = router is null ? [] : [.. router.Backends];
        var models = new Dictionary<string, IReadOnlyList<ModelInfo>>(StringComparer.OrdinalIgnoreCase);
        foreach (IChatBackend backend in backends)
        {
            models[backend.Name] = await ModelsAsync(backend, context.RequestAborted);
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => WriteTable(w, router, options, backends, models));
    }

    private static async Task<IReadOnlyList<ModelInfo>> ModelsAsync(IChatBackend backend, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_modelsTimeout);
        try
        {
            return await backend.ListModelsAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return [];
        }
    }

    internal static void WriteTable(Utf8JsonWriter w, ModelRouter? router, GodexOptions options, IReadOnlyList<IChatBackend> backends, IReadOnlyDictionary<string, IReadOnlyList<ModelInfo>> models)
    {
        RoutingOptions routing = options.Routing;
        w.WriteStartObject();
        if (routing.Default is { } defaultBackend)
        {
            w.WriteString("default"u8, defaultBackend);
        }
        else
        {
            w.WriteNull("default"u8);
        }

        w.WriteStartArray("backends"u8);
        foreach (IChatBackend backend in backends)
        {
            w.WriteStartObject();
            w.WriteString("name"u8, backend.Name);
            CustomBackendOptions? custom = options.Proxy.Backends.Custom.FirstOrDefault(c => string.Equals(c.Name, backend.Name, StringComparison.OrdinalIgnoreCase));
            w.WriteString("kind"u8, custom is null ? backend.Name : "custom");
            if (custom is not null)
            {
                w.WriteString("type"u8, custom.Type);
            }

            w.WriteNumber("accounts"u8, backend is IPooledBackend pooled ? pooled.Pool.Accounts.Count : 0);
            w.WriteBoolean("is_default"u8, string.Equals(routing.Default, backend.Name, StringComparison.OrdinalIgnoreCase));
            w.WriteStartArray("prefixes"u8);
            foreach ((string name, List<string> prefixes) in routing.Patterns)
            {
                if (string.Equals(name, backend.Name, StringComparison.OrdinalIgnoreCase))
                {
                    prefixes.ForEach(w.WriteStringValue);
                }
            }

            w.WriteEndArray();
            w.WriteStartArray("models"u8);
            foreach (ModelInfo model in models.GetValueOrDefault(backend.Name) ?? [])
            {
                w.WriteStringValue(model.Id);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("aliases"u8);
        IReadOnlyDictionary<string, string> aliases = router?.Aliases ?? new Dictionary<string, string>();
        foreach ((string alias, string target) in aliases.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase))
        {
            w.WriteStartObject();
            w.WriteString("alias"u8, alias);
            w.WriteString("model"u8, target);
            w.WriteString("source"u8, routing.Aliases.ContainsKey(alias) ? "config" : "built-in");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("fallbacks"u8);
        foreach ((string model, List<string> fallbacks) in routing.Fallbacks)
        {
            w.WriteStartObject();
            w.WriteString("model"u8, model);
            w.WriteStartArray("fallbacks"u8);
            fallbacks.ForEach(w.WriteStringValue);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static void WriteProbe(Utf8JsonWriter w, ModelRouter? router, RoutingOptions routing, string model)
    {
        w.WriteStartObject();
        w.WriteString("model"u8, model);
        if (router is null || !router.TryResolve(model, out ModelRoute? route))
        {
            w.WriteBoolean("routed"u8, false);
            w.WriteString("reason"u8, string.IsNullOrEmpty(routing.Default)
                ? "no routing.patterns prefix matches and routing.default is empty: a request for it gets 404"
                : $"no routing.patterns prefix matches and the default backend {routing.Default} is not enabled: a request for it gets 404");
            w.WriteEndObject();
            return;
        }

        w.WriteBoolean("routed"u8, true);
        w.WriteString("backend"u8, route.Backend.Name);
        w.WriteString("upstream_model"u8, route.Model);
        if (route.Alias is { } alias)
        {
            w.WriteString("alias"u8, alias);
        }

        string? prefix = router.MatchingPrefix(route.Model);
        w.WriteString("matched_by"u8, route.FallbackFor is not null ? "fallback" : prefix is not null ? "pattern" : "default");
        if (prefix is not null)
        {
            w.WriteString("prefix"u8, prefix);
        }

        if (route.FallbackFor is { } original)
        {
            w.WriteString("fallback_for"u8, original);
        }

        if (route.Backend is IPooledBackend pooled)
        {
            // Choose without a conversation neither binds nor advances the round-robin turn: a pure look.
            if (pooled.Pool.Choose(null) is { } account)
            {
                w.WriteString("account"u8, account.Name);
            }
            else
            {
                w.WriteNull("account"u8);
                if (pooled.Pool.EarliestReturn() is { } back)
                {
                    w.WriteNumber("returns_at_ms"u8, back.ToUnixTimeMilliseconds());
                }
            }
        }

        w.WriteEndObject();
    }
}
