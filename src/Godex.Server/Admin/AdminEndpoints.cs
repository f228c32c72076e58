using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Json;
using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core;
using Godex.Core.Routing;
using Godex.Server.Dashboard;
using Godex.Server.Observability;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Admin;

/// <summary>
/// The admin API, with the CLI's semantics. Served to connections on the admin Unix socket (mode 0600: access is the
/// file's), and on TCP only to requests bearing <see cref="ProxyOptions.AdminKey"/> (others get 404, as if it did
/// not exist). Changes are durable when the response is sent and apply to the running proxy at once.
/// <list type="table">
/// <item><term>GET /admin/keys</term><description>every key</description></item>
/// <item><term>POST /admin/keys</term><description>create: <c>{"label","rate","burst","quota_tokens","max_concurrent","models","expires_in","budget_usd":"20","budget_window":"30d"}</c>, all optional; answers with <c>api_key</c> (shown once)</description></item>
/// <item><term>GET /admin/keys/{id}</term><description>one key</description></item>
/// <item><term>POST /admin/keys/{id}</term><description>update: the same fields; only those present change</description></item>
/// <item><term>POST /admin/keys/{id}/revoke, /rotate</term><description>revoke; new secret for the same id</description></item>
/// <item><term>POST /admin/keys/{id}/policy</term><description><c>{"token_allowance":N,"allowance_duration":"24h"}</c>: balance = allowance, topped up every duration</description></item>
/// <item><term>POST /admin/keys/{id}/add-tokens</term><description><c>{"tokens":N}</c> (may be negative)</description></item>
/// <item><term>GET /admin/usage?since=24h&amp;key=ID&amp;by=key|model|day|account&amp;format=csv</term><description>totals per key (or model, UTC day, account); CSV on request</description></item>
/// <item><term>POST /admin/usage/{id}/reset</term><description>that key's usage stops counting from now</description></item>
/// <item><term>GET /admin/stats?range=1h|24h|7d|30d</term><description>the ledger in time buckets (the dashboard's charts)</description></item>
/// <item><term>GET /admin/config</term><description>every config key's effective value (secrets masked) and its source</description></item>
/// <item><term>GET /admin/accounts</term><description>each pooled backend's accounts: plan, usage per window, cooldown, last error (no database needed)</description></item>
/// <item><term>GET /admin/routes[?model=X]</term><description>the routing table; with <c>model</c>, where that name resolves (no upstream call)</description></item>
/// <item><term>GET /admin/events</term><description>live request events as server-sent events (<c>event: request</c>, JSON data), until the client leaves</description></item>
/// </list>
/// </summary>
public static class AdminEndpoints
{
    /// <summary>The largest admin request body: a key's fields fit in a few hundred bytes (issue 14: a 25 MB label was accepted).</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/admin/keys", (RequestDelegate)(c => Guard(c, ListAsync)));
        endpoints.MapPost("/admin/keys", (RequestDelegate)(c => Guard(c, CreateAsync)));
        endpoints.MapGet("/admin/keys/{id}", (RequestDelegate)(c => Guard(c, ShowAsync)));
        endpoints.MapPost("/admin/keys/{id}", (RequestDelegate)(c => Guard(c, UpdateAsync)));
        endpoints.MapPost("/admin/keys/{id}/revoke", (RequestDelegate)(c => Guard(c, (ctx, s, b) => ChangeAsync(ctx, s.RevokeAsync(Id(ctx), ctx.RequestAborted)))));
        endpoints.MapPost("/admin/keys/{id}/rotate", (RequestDelegate)(c => Guard(c, RotateAsync)));
        endpoints.MapPost("/admin/keys/{id}/policy", (RequestDelegate)(c => Guard(c, PolicyAsync)));
        endpoints.MapPost("/admin/keys/{id}/add-tokens", (RequestDelegate)(c => Guard(c, AddTokensAsync)));
        endpoints.MapGet("/admin/usage", (RequestDelegate)(c => Guard(c, UsageAsync)));
        endpoints.MapGet("/admin/events", (RequestDelegate)EventsAsync);
        endpoints.MapGet("/admin/stats", (RequestDelegate)(c => Guard(c, AdminStats.HandleAsync)));
        endpoints.MapGet("/admin/config", (RequestDelegate)(c => Guard(c, AdminConfig.HandleAsync)));
        endpoints.MapGet("/admin/accounts", (RequestDelegate)(c => GuardRead(c, AdminAccounts.HandleAsync)));
        endpoints.MapGet("/admin/routes", (RequestDelegate)(c => GuardRead(c, AdminRoutes.HandleAsync)));
        endpoints.MapPost("/admin/usage/{id}/reset", (RequestDelegate)(c => Guard(c, (ctx, s, b) => ChangeAsync(ctx, s.ResetUsageAsync(Id(ctx), ctx.RequestAborted)))));

        // Any other admin path or method: the same JSON 404 a caller without the admin key gets (not routing's empty
        // 404/405), so the answer says nothing about which admin routes exist.
        endpoints.MapFallback("/admin/{**path}", (RequestDelegate)(c => Error(c, StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, "not found")));
        return endpoints;
    }

    /// <summary>True on the admin socket, or over TCP with the admin key, or from the dashboard's logged-in session (with its CSRF token when mutating).</summary>
    private static bool IsAdmin(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<GodexOptions>();
        bool onSocket = context.Connection.LocalIpAddress is null;
        string? adminKey = options.Proxy.AdminKey;
        string? bearer = context.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
        return onSocket || (!string.IsNullOrEmpty(adminKey) && bearer is not null && KeySecrets.SecretEquals(bearer, adminKey)) || DashboardAccess.AuthorizesAdmin(context);
    }

    /// <summary>
    /// <c>GET /admin/events</c>: the live feed as server-sent events. A comment line goes out at once (so the client
    /// knows it is attached), then one <c>event: request</c> per finished request, flushed as it happens.
    /// </summary>
    private static async Task EventsAsync(HttpContext context)
    {
        if (!IsAdmin(context))
        {
            await Error(context, StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, "not found");
            return;
        }

        LiveEventFeed feed = context.RequestServices.GetRequiredService<RequestTelemetry>().Feed;
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        CancellationToken aborted = context.RequestAborted;
        using LiveEventFeed.Listener listener = feed.Attach();
        try
        {
            await response.BodyWriter.WriteAsync(": attached to godex\n\n"u8.ToArray(), aborted);
            await foreach (LiveEvent item in listener.ReadAllAsync(aborted))
            {
                PipeWriter writer = response.BodyWriter;
                writer.Write("event: "u8);
                writer.Write(System.Text.Encoding.UTF8.GetBytes(item.Name));
                writer.Write("\ndata: "u8);
                writer.Write(item.Json.Span);
                writer.Write("\n\n"u8);
                await writer.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The listener detached.
        }
    }

    /// <summary>Admin access for a read that needs no database (the pools and the router live in this process).</summary>
    private static Task GuardRead(HttpContext context, Func<HttpContext, Task> handler) =>
        IsAdmin(context) ? handler(context) : Error(context, StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, "not found");

    private static async Task Guard(HttpContext context, Func<HttpContext, IKeyStore, JsonElement, Task> handler)
    {
        if (!IsAdmin(context))
        {
            await Error(context, StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, "not found");
            return;
        }

        IKeyStore? store = context.RequestServices.GetService<IKeyStore>();
        if (store is null)
        {
            await Error(context, StatusCodes.Status503ServiceUnavailable, BackendErrorTypes.Server, "no database: proxy.database is off");
            return;
        }

        // No body at all (Content-Length 0 or none) is an empty set of fields; a body must be JSON.
        JsonElement body = default;
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.ContentLength is not 0)
        {
            if (context.Request.ContentLength > MaxBodyBytes)
            {
                await Error(context, StatusCodes.Status413PayloadTooLarge, BackendErrorTypes.InvalidRequest, $"the admin API takes bodies of at most {MaxBodyBytes} bytes");
                return;
            }

            // The limit is counted here, not by Kestrel: after a 413 for a chunked body still arriving, Kestrel drains
            // the rest (at most 5 s) so the client reads the answer; at its own limit it would reset the connection.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            {
                sizeFeature.MaxRequestBodySize = null;
            }

            using var buffered = new MemoryStream();
            try
            {
                if (!await TryCopyAtMostAsync(context.Request.Body, buffered, MaxBodyBytes, context.RequestAborted))
                {
                    await Error(context, StatusCodes.Status413PayloadTooLarge, BackendErrorTypes.InvalidRequest, $"the admin API takes bodies of at most {MaxBodyBytes} bytes");
                    return;
                }
            }
            catch (BadHttpRequestException ex)
            {
                await Error(context, ex.StatusCode is >= 400 and < 500 ? ex.StatusCode : StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, "the request body is malformed: " + ex.Message);
                return;
            }

            if (buffered.Length > 0 && JsonBodyValidator.Validate(buffered.GetBuffer().AsSpan(0, (int)buffered.Length)) is { } invalid)
            {
                await Error(context, StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, invalid.Message);
                return;
            }

            try
            {
                if (buffered.Length > 0)
                {
                    using JsonDocument document = JsonDocument.Parse(buffered.GetBuffer().AsMemory(0, (int)buffered.Length));
                    body = document.RootElement.Clone();
                }
            }
            catch (JsonException ex)
            {
                await Error(context, StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, "invalid JSON body: " + ex.Message);
                return;
            }
        }

        try
        {
            await handler(context, store, body);
        }
        catch (AdminRequestException ex)
        {
            await ErrorResponses.WriteOpenAIAsync(context, new BackendError(StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, ex.Message) { Param = ex.Param });
        }
        catch (InvalidOperationException ex)
        {
            await Error(context, StatusCodes.Status409Conflict, BackendErrorTypes.InvalidRequest, ex.Message);
        }
    }

    private static async Task ListAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        IReadOnlyList<ClientKey> keys = await store.ListAsync(context.RequestAborted);
        DateTimeOffset now = Now(context);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("keys"u8);
            foreach (ClientKey key in keys)
            {
                ClientKeyJson.Write(w, key, now);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task CreateAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        var options = context.RequestServices.GetRequiredService<GodexOptions>();
        ClientKeyUpdate fields = ParseFields(body, Now(context), ExpandAlias(context), creating: true);
        string? secret = String(body, "key", 512);
        if (secret is not null)
        {
            await CheckOwnSecretAsync(store, secret, options.Proxy, context.RequestAborted);
        }

        IssuedClientKey issued;
        try
        {
            issued = await store.CreateAsync(new NewClientKey
            {
                Label = fields.Label ?? "admin",
                Secret = secret,
                Rate = fields.Rate,
                Burst = fields.Burst,
                QuotaTokens = fields.QuotaTokens ?? options.Proxy.DefaultQuotaTokens,
                MaxConcurrent = fields.MaxConcurrent ?? 0,
                Models = fields.Models ?? [],
                ExpiresAt = fields.ExpiresAt,
                BudgetMicros = fields.BudgetMicros ?? 0,
                BudgetWindow = fields.BudgetWindow ?? TimeSpan.Zero,
            }, context.RequestAborted);
        }
        catch (InvalidOperationException) when (secret is not null)
        {
            throw new AdminRequestException("key: another client key has this secret already", "key");
        }

        await ReloadAsync(context);
        await JsonResponse.WriteAsync(context, StatusCodes.Status201Created, w => ClientKeyJson.Write(w, issued.Key, Now(context), issued.Secret));
    }

    private static async Task ShowAsync(HttpContext context, IKeyStore store, JsonElement body) =>
        await WriteKeyAsync(context, await store.FindAsync(Id(context), context.RequestAborted), secret: null, reload: false);

    private static async Task UpdateAsync(HttpContext context, IKeyStore store, JsonElement body) =>
        await ChangeAsync(context, store.UpdateAsync(Id(context), ParseFields(body, Now(context), ExpandAlias(context), creating: false), context.RequestAborted));

    /// <summary>
    /// A brought-your-own secret: long enough, header-safe, and no other credential of this proxy (the static key,
    /// the admin key, a stored key, an imported key of the original godex).
    /// </summary>
    private static async Task CheckOwnSecretAsync(IKeyStore store, string secret, ProxyOptions proxy, CancellationToken cancellationToken)
    {
        if (KeySecrets.CheckOwnSecret(secret, [proxy.ApiKey, proxy.AdminKey]) is { } problem)
        {
            throw new AdminRequestException("key: " + problem, "key");
        }

        string hash = store.Hash(secret);
        string legacy = KeySecrets.LegacyHash(secret);
        IReadOnlyList<ClientKey> keys = await store.ListAsync(cancellationToken);
        if (keys.Any(k => KeySecrets.HashEquals(k.Hash, hash) || KeySecrets.HashEquals(k.Hash, legacy)))
        {
            throw new AdminRequestException("key: another client key has this secret already", "key");
        }
    }

    private static Func<string, string> ExpandAlias(HttpContext context) =>
        context.RequestServices.GetService<ModelRouter>() is { } router ? router.ExpandAlias : static model => model;

    private static async Task RotateAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        IssuedClientKey? issued = await store.RotateAsync(Id(context), context.RequestAborted);
        await WriteKeyAsync(context, issued?.Key, issued?.Secret, reload: true);
    }

    private static async Task PolicyAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        long allowance = Long(body, "token_allowance") ?? throw new AdminRequestException("token_allowance is required", "token_allowance");
        TimeSpan duration = Duration(body, "allowance_duration") ?? throw new AdminRequestException("allowance_duration is required (e.g. \"24h\")", "allowance_duration");
        await ChangeAsync(context, store.SetAllowanceAsync(Id(context), allowance, duration, context.RequestAborted));
    }

    private static async Task AddTokensAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        long tokens = Long(body, "tokens") ?? throw new AdminRequestException("tokens is required", "tokens");
        await ChangeAsync(context, store.AddTokensAsync(Id(context), tokens, context.RequestAborted));
    }

    private static async Task UsageAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        IUsageLedger ledger = context.RequestServices.GetRequiredService<IUsageLedger>();
        if (context.RequestServices.GetService<IUsageRecorder>() is UsageLedgerWriter writer)
        {
            await writer.FlushAsync(context.RequestAborted);
        }

        DateTimeOffset? since = null;
        if (context.Request.Query["since"].ToString() is { Length: > 0 } sinceText)
        {
            since = Now(context) - ParseDuration(sinceText, "since");
        }

        string? keyId = context.Request.Query["key"].ToString() is { Length: > 0 } k ? k : null;
        if (keyId is { Length: > InputLimits.MaxIdLength })
        {
            throw new AdminRequestException($"key: at most {InputLimits.MaxIdLength} characters", "key");
        }

        UsageGrouping by = context.Request.Query["by"].ToString() switch
        {
            "" or "key" => UsageGrouping.Key,
            "model" => UsageGrouping.Model,
            "day" => UsageGrouping.Day,
            "account" => UsageGrouping.Account,
            _ => throw new AdminRequestException("by must be key, model, day or account", "by"),
        };
        IReadOnlyList<UsageTotals> totals = await ledger.TotalsAsync(since, keyId, context.RequestAborted, by);
        IReadOnlyList<ClientKey> keys = await store.ListAsync(context.RequestAborted);
        string? Label(UsageTotals total) => by == UsageGrouping.Key ? keys.FirstOrDefault(x => x.Id == total.KeyId)?.Label : null;
        if (context.Request.Query["format"].ToString() == "csv")
        {
            context.Response.ContentType = "text/csv; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"godex-usage-by-{by.ToString().ToLowerInvariant()}.csv\"";
            await context.Response.WriteAsync(UsageCsv.Write(totals, by, Label), context.RequestAborted);
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("usage"u8);
            foreach (UsageTotals total in totals)
            {
                UsageJson.Write(w, total, Label(total), by);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task ChangeAsync(HttpContext context, ValueTask<ClientKey?> change) =>
        await WriteKeyAsync(context, await change, secret: null, reload: true);

    private static async Task WriteKeyAsync(HttpContext context, ClientKey? key, string? secret, bool reload)
    {
        if (key is null)
        {
            await Error(context, StatusCodes.Status404NotFound, BackendErrorTypes.NotFound, "key not found");
            return;
        }

        if (reload)
        {
            await ReloadAsync(context);
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => ClientKeyJson.Write(w, key, Now(context), secret));
    }

    private static async Task ReloadAsync(HttpContext context)
    {
        if (context.RequestServices.GetService<KeyCache>() is { } cache)
        {
            await cache.ReloadAsync(context.RequestAborted);
        }
    }

    private static readonly string[] s_keyFields = ["label", "rate", "burst", "quota_tokens", "max_concurrent", "models", "expires_in", "budget_usd", "budget_window"];

    /// <summary>
    /// The key fields of a create/update body; absent fields stay null (unchanged). No body at all is an empty set of
    /// fields (the original's token-meter creates keys that way); anything else that is not an object of known
    /// fields with the right types and ranges is a 400 naming the field.
    /// </summary>
    internal static ClientKeyUpdate ParseFields(JsonElement body, DateTimeOffset now, Func<string, string> expandAlias, bool creating)
    {
        if (body.ValueKind == JsonValueKind.Undefined)
        {
            return new ClientKeyUpdate();
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException($"the body must be a JSON object of key fields ({string.Join(", ", s_keyFields)}{(creating ? ", key" : "")}), got {Kind(body.ValueKind)}", "body");
        }

        foreach (JsonProperty field in body.EnumerateObject())
        {
            if (!s_keyFields.Contains(field.Name) && !(creating && field.Name == "key"))
            {
                string hint = field.Name == "key" ? ": a key's secret is set when it is created; POST /admin/keys/{id}/rotate gives it a new one" : $" (known: {string.Join(", ", s_keyFields)}{(creating ? ", key" : "")})";
                throw new AdminRequestException($"unknown field {field.Name}{hint}", field.Name);
            }
        }

        string? rate = String(body, "rate", 64);
        if (rate is not null && !RateSpec.TryParse(rate, out _, out string? rateError))
        {
            throw new AdminRequestException("rate: " + rateError, "rate");
        }

        List<string>? models = null;
        if (body.TryGetProperty("models", out JsonElement list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(m.GetString())))
            {
                throw new AdminRequestException("models must be an array of model names or patterns, e.g. [\"claude-*\", \"gpt-5.2-codex\"]", "models");
            }

            if (list.GetArrayLength() > InputLimits.MaxModelPatterns || list.EnumerateArray().Any(m => m.GetString()!.Length > InputLimits.MaxModelLength))
            {
                throw new AdminRequestException($"models: at most {InputLimits.MaxModelPatterns} patterns of at most {InputLimits.MaxModelLength} characters", "models");
            }

            models = KeyModels.Expand(list.EnumerateArray().Select(m => m.GetString()!), expandAlias);
        }

        TimeSpan? expiresIn = Duration(body, "expires_in");
        if (expiresIn <= TimeSpan.Zero)
        {
            throw new AdminRequestException("expires_in must be a positive duration, e.g. \"24h\"", "expires_in");
        }

        long? burst = Long(body, "burst");
        if (burst is <= 0 or > int.MaxValue)
        {
            throw new AdminRequestException("burst must be a positive integer", "burst");
        }

        long? quota = Long(body, "quota_tokens");
        if (quota < 0)
        {
            throw new AdminRequestException("quota_tokens must not be negative (0 = unlimited)", "quota_tokens");
        }

        long? concurrent = Long(body, "max_concurrent");
        if (concurrent is < 0 or > int.MaxValue)
        {
            throw new AdminRequestException("max_concurrent must be a non-negative integer (0 = unlimited)", "max_concurrent");
        }

        long? budget = null;
        if (String(body, "budget_usd", 32) is { } usd)
        {
            budget = Money.TryParseUsd(usd, out long micros) ? micros : throw new AdminRequestException($"budget_usd: expected dollars with at most 6 decimals, got '{usd}'", "budget_usd");
        }

        return new ClientKeyUpdate
        {
            Label = String(body, "label", InputLimits.MaxLabelLength),
            Rate = rate,
            Burst = (int?)burst,
            QuotaTokens = quota,
            MaxConcurrent = (int?)concurrent,
            Models = models,
            ExpiresAt = expiresIn is { } ttl ? now + ttl : null,
            BudgetMicros = budget,
            BudgetWindow = Duration(body, "budget_window"),
        };
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>The key id of the path; one longer than any id godex makes matches none (a 404, and no long value goes further).</summary>
    private static string Id(HttpContext context) => context.Request.RouteValues["id"] as string is { Length: <= InputLimits.MaxIdLength } id ? id : "";

    private static DateTimeOffset Now(HttpContext context) => (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();

    private static string? String(JsonElement body, string name, int maxLength)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new AdminRequestException($"{name} must be a string, got {Kind(v.ValueKind)}", name);
        }

        string text = v.GetString()!;
        return text.Length <= maxLength ? text : throw new AdminRequestException($"{name}: at most {maxLength} characters", name);
    }

    private static long? Long(JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : throw new AdminRequestException($"{name} must be an integer", name);
    }

    private static TimeSpan? Duration(JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long seconds))
        {
            return Math.Abs(seconds) <= (long)TimeSpan.MaxValue.TotalSeconds / 2
                ? TimeSpan.FromSeconds(seconds)
                : throw new AdminRequestException($"{name} is out of range", name);
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new AdminRequestException($"{name} must be a duration such as \"24h\" or a number of seconds", name);
        }

        return ParseDuration(v.GetString() ?? "", name);
    }

    private static TimeSpan ParseDuration(string text, string name)
    {
        try
        {
            return ConfigValues.ParseDuration(text, name);
        }
        catch (ConfigException ex)
        {
            throw new AdminRequestException(ex.Message, name);
        }
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/>; false once it passes <paramref name="limit"/> bytes.</summary>
    private static async Task<bool> TryCopyAtMostAsync(Stream source, MemoryStream target, int limit, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (target.Length + read > limit)
            {
                return false;
            }

            target.Write(buffer, 0, read);
        }

        return true;
    }

    private static Task Error(HttpContext context, int status, string type, string message) =>
        ErrorResponses.WriteOpenAIAsync(context, new BackendError(status, type, message));

    private sealed class AdminRequestException(string message, string? param = null) : Exception(message)
    {
        public string? Param { get; } = param;
    }
}
