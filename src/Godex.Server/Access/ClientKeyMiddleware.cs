using System.Globalization;
using Godex.Core;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Keys;
using Godex.Core.Limits;
using Godex.Core.Metering;
using Godex.Core.Payments.L402;
using Godex.Core.Spend;
using Godex.Server.Metering;
using Godex.Server.Observability;
using Godex.Server.Payments;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Access;

/// <summary>
/// Client-key authentication, limits and metering for every <c>/v1/*</c> request (other paths, <c>/health</c>, are
/// open). The key may come as <c>Authorization: Bearer &lt;key&gt;</c> (OpenAI SDKs) or <c>x-api-key</c> (Anthropic SDKs).
/// <list type="bullet">
/// <item>The static <see cref="ProxyOptions.ApiKey"/> is accepted as key id <c>static</c>, without limits.</item>
/// <item>Keys from the key store (<see cref="KeyCache"/>) are checked in memory; revoked, expired, rotated-away and
/// unknown keys get 401. A key is required once <c>--api-key</c> is set or the store holds any usable key, unless
/// <see cref="ProxyOptions.AllowAnyKey"/>.</item>
/// <item>Store keys pass <see cref="KeyLimiter"/>: a refusal is a 429 with <c>Retry-After</c> from the real refill or
/// reset time; allowed responses carry <c>x-ratelimit-*</c> headers.</item>
/// <item>With <c>proxy.payments</c>, a request without a key gets a 402 challenge and <c>Authorization: L402 …</c> pays
/// (<see cref="L402Gate"/>, natively; <see cref="TokenMeterGate"/>, through the original's token-meter).</item>
/// <item>Every request that passes authentication gets a <see cref="RequestUsage"/> and leaves exactly one ledger row.</item>
/// </list>
/// Errors use the dialect of the path: Anthropic's for <c>/v1/messages*</c>, OpenAI's elsewhere. Keys are never logged.
/// </summary>
public sealed partial class ClientKeyMiddleware
{
    public const string StaticKeyId = RequestUsage.StaticKeyId;
    public const string AnonymousKeyId = RequestUsage.AnonymousKeyId;

    private readonly RequestDelegate _next;
    private readonly GodexOptions _options;
    private readonly ILogger<ClientKeyMiddleware> _logger;
    private readonly KeyCache? _keys;
    private readonly KeyLimiter? _limiter;
    private readonly IUsageRecorder? _recorder;
    private readonly TimeProvider _time;
    private readonly L402Gate? _l402;
    private readonly TokenMeterGate? _tokenMeter;
    private readonly RequestTelemetry? _telemetry;
    private readonly PriceTable? _prices;
    private readonly Func<object, Task> _markFirstByte;

    // Listening beyond loopback without a static key is allowed only with stored keys (GodexApp checks at startup);
    // from then on a key is required even when the store has none left, so revoking the last key never opens the door.
    private readonly bool _publicListen;

    public ClientKeyMiddleware(RequestDelegate next, GodexOptions options, ILogger<ClientKeyMiddleware> logger, IServiceProvider services)
    {
        _next = next;
        _options = options;
        _logger = logger;
        _keys = services.GetService<KeyCache>();
        _limiter = services.GetService<KeyLimiter>();
        _recorder = services.GetService<IUsageRecorder>();
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _l402 = services.GetService<L402Gate>();
        _tokenMeter = services.GetService<TokenMeterGate>();
        _telemetry = services.GetService<RequestTelemetry>();
        _prices = services.GetService<PriceTable>();
        _publicListen = !ListenAddress.Parse(options.Proxy.Listen).IsLoopback;
        _markFirstByte = MarkFirstByte;
    }

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        PathString path = context.Request.Path;
        if (path.StartsWithSegments(PricingEndpoints.Path))
        {
            // The price list is public (a client reads it before paying); with token-meter it is that service's.
            return _tokenMeter is not null && HttpMethods.IsGet(context.Request.Method) ? _tokenMeter.PricingAsync(context) : _next(context);
        }

        if (!path.StartsWithSegments("/v1"))
        {
            return _next(context);
        }

        long started = _time.GetTimestamp();
        ProxyOptions proxy = _options.Proxy;
        string? presented = PresentedKey(context.Request);
        if (_l402 is not null)
        {
            string? authorization = context.Request.Headers.Authorization;
            if (L402Authority.IsL402(authorization))
            {
                return PaidAsync(context, authorization!, started);
            }

            if (presented is null)
            {
                return _l402.ChallengeAsync(context, "this proxy sells access over Lightning (L402)");
            }
        }
        else if (_tokenMeter is not null)
        {
            if (L402Authority.IsL402(context.Request.Headers.Authorization))
            {
                return _tokenMeter.RedeemAsync(context);
            }

            if (presented is null)
            {
                return _tokenMeter.ChallengeAsync(context, "issue_key", null, null);
            }
        }

        string keyId = AnonymousKeyId;
        ClientKey? key = null;
        if (presented is not null && !string.IsNullOrEmpty(proxy.ApiKey) && KeySecrets.SecretEquals(presented, proxy.ApiKey))
        {
            keyId = StaticKeyId;
        }
        else
        {
            KeyStatus status = presented is not null && _keys is not null ? _keys.Authenticate(presented, out key) : KeyStatus.Unknown;
            bool required = !proxy.AllowAnyKey && (_publicListen || !string.IsNullOrEmpty(proxy.ApiKey) || (_keys?.HasUsableKeys ?? false));
            if (status == KeyStatus.Valid)
            {
                keyId = key!.Id;
            }
            else if (required)
            {
                return RejectAsync(context, presented, status);
            }
            else
            {
                key = null;
            }
        }

        if (key is null || _limiter is null)
        {
            return RunAsync(context, new RequestUsage(keyId, key, started), acquired: false);
        }

        key = _keys!.Get(key.Id) ?? key;
        ValueTask<LimitDecision> pending = _limiter.TryAcquireAsync(key, context.RequestAborted);
        return pending.IsCompletedSuccessfully
            ? LimitedAsync(context, new RequestUsage(keyId, key, started), pending.Result)
            : LimitedSlowAsync(context, new RequestUsage(keyId, key, started), pending);
    }

    /// <summary>Shared limits that needed the database (a new rate lease, a concurrency slot).</summary>
    private async Task LimitedSlowAsync(HttpContext context, RequestUsage usage, ValueTask<LimitDecision> pending)
    {
        LimitDecision decision;
        try
        {
            decision = await pending;
        }
        catch (Exception ex) when (ex is Core.Storage.StorageException or Npgsql.NpgsqlException or TimeoutException)
        {
            // The shared limits are unknown: refuse rather than serve past them (the request is not the client's fault).
            Log.LimitStoreFailed(_logger, usage.KeyId, ex);
            context.Response.Headers.RetryAfter = "1";
            var error = new BackendError(StatusCodes.Status503ServiceUnavailable, BackendErrorTypes.Overloaded, "The limit store is unavailable. Retry after 1 s.");
            try
            {
                await ErrorResponses.WriteForPathAsync(context, error);
            }
            finally
            {
                await RecordAsync(context, usage);
            }

            return;
        }

        await LimitedAsync(context, usage, decision);
    }

    private Task LimitedAsync(HttpContext context, RequestUsage usage, LimitDecision decision)
    {
        WriteRateHeaders(context.Response, decision);
        return decision.IsAllowed ? RunAsync(context, usage, acquired: true) : RefuseAsync(context, usage, decision);
    }

    /// <summary>An L402 request: verified and funded → served and charged; used up → a new 402; invalid → 401.</summary>
    private async Task PaidAsync(HttpContext context, string authorization, long started)
    {
        (L402Gate.Session? session, BackendError? error) = await _l402!.AuthenticateAsync(authorization, context.RequestAborted);
        if (error is not null)
        {
            if (error.Status == StatusCodes.Status429TooManyRequests)
            {
                context.Response.Headers.RetryAfter = "1";
            }
            else
            {
                context.Response.Headers.WWWAuthenticate = "L402";
            }

            await ErrorResponses.WriteForPathAsync(context, error);
            return;
        }

        if (session is null)
        {
            await _l402.ChallengeAsync(context, "the credit this token bought is used up; pay a new invoice to top up");
            return;
        }

        var usage = new RequestUsage(session.Identifier.KeyId, L402Gate.KeyOf(session), started) { PaidWithL402 = true };
        try
        {
            await RunAsync(context, usage, acquired: false);
        }
        finally
        {
            await _l402.ChargeAsync(session, usage);
        }
    }

    private async Task RunAsync(HttpContext context, RequestUsage usage, bool acquired)
    {
        context.Features[typeof(RequestUsage)] = usage; // read back by RequestUsage.Of, through the indexer as well
        if (_recorder is not null || _telemetry?.Active == true)
        {
            // The ledger keeps each request's time to first byte (the dashboard's p50/p95); telemetry counts the open
            // streams from the same moment. One callback for both: each costs Kestrel a registration per request.
            context.Response.OnStarting(_markFirstByte, context);
        }

        _telemetry?.Start(context, usage);
        try
        {
            await _next(context);
        }
        finally
        {
            if (acquired)
            {
                _limiter!.Release(usage.KeyId);
            }

            await RecordAsync(context, usage);
        }
    }

    private async Task RefuseAsync(HttpContext context, RequestUsage usage, LimitDecision decision)
    {
        if (_tokenMeter is not null && decision.Verdict == LimitVerdict.Balance)
        {
            // The original's top-up: the key's paid balance is spent, token-meter sells more.
            try
            {
                await _tokenMeter.ChallengeAsync(context, "topup", usage.KeyId, null);
            }
            finally
            {
                await RecordAsync(context, usage);
            }

            return;
        }

        long seconds = Math.Max(1, (long)Math.Ceiling(decision.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        (string message, string code) = decision.Verdict switch
        {
            LimitVerdict.Rate => ($"Rate limit reached for this API key ({usage.Key!.Rate ?? _limiter!.Defaults.Rate?.ToString()}, burst {decision.RequestBurst}). Retry after {seconds} s.", "rate_limit_exceeded"),
            LimitVerdict.Concurrency => ($"Too many concurrent requests for this API key (limit {usage.Key!.MaxConcurrent}). Retry after {seconds} s.", "concurrency_limit_exceeded"),
            LimitVerdict.Quota => ($"Token quota of this API key used up ({usage.Key!.QuotaTokens} tokens per window). It resets in {seconds} s.", "quota_exceeded"),
            LimitVerdict.Budget => (BudgetMessage(usage.Key!, decision, seconds), "budget_exceeded"),
            _ => ($"Token balance of this API key used up. It is topped up in {seconds} s.", "insufficient_quota"),
        };
        Log.Refused(_logger, usage.KeyId, decision.Verdict, seconds);
        var error = new BackendError(StatusCodes.Status429TooManyRequests, BackendErrorTypes.RateLimit, message) { Code = code };
        try
        {
            await ErrorResponses.WriteForPathAsync(context, error);
        }
        finally
        {
            await RecordAsync(context, usage);
        }
    }

    /// <summary>The 429 text of a spent budget: the budget, its window and when it resets.</summary>
    private string BudgetMessage(ClientKey key, LimitDecision decision, long seconds)
    {
        TimeSpan window = key.BudgetWindow > TimeSpan.Zero ? key.BudgetWindow : _limiter!.Defaults.MeterWindow;
        DateTimeOffset reset = _time.GetUtcNow() + decision.RetryAfter;
        return $"Budget of this API key used up: USD {Money.Usd(key.BudgetMicros)} per {Durations.Format(window)} (list prices). It resets at {reset.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}, in {seconds} s.";
    }

    private Task MarkFirstByte(object state)
    {
        var context = (HttpContext)state;
        if (RequestUsage.Of(context) is { } usage)
        {
            usage.FirstByteTimestamp = _time.GetTimestamp();
            _telemetry?.FirstByte(context, usage);
        }

        return Task.CompletedTask;
    }

    /// <summary>The request's one ledger row, and its outcome for every observer.</summary>
    private ValueTask RecordAsync(HttpContext context, RequestUsage usage)
    {
        if (_recorder is null && _telemetry?.Active != true)
        {
            return ValueTask.CompletedTask;
        }

        Usage tokens = usage.Final;
        int status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
        TimeSpan latency = _time.GetElapsedTime(usage.StartTimestamp);
        var record = new UsageRecord(
            _time.GetUtcNow(),
            usage.KeyId,
            usage.Model,
            usage.Backend,
            usage.Account,
            tokens.InputTokens,
            tokens.OutputTokens,
            tokens.CachedInputTokens,
            tokens.ReasoningTokens,
            latency,
            status,
            context.TraceIdentifier,
            context.Request.Path.Value ?? "")
        {
            CostMicros = _prices?.CostMicros(usage.Model, tokens) ?? 0,
            TimeToFirstByte = usage.TimeToFirstByte(_time, status, latency),
        };
        _recorder?.Record(record);
        return _telemetry?.FinishAsync(context, usage, record) ?? ValueTask.CompletedTask;
    }

    private Task RejectAsync(HttpContext context, string? presented, KeyStatus status)
    {
        string reason = presented is null ? "missing" : status switch
        {
            KeyStatus.Revoked => "revoked",
            KeyStatus.Expired => "expired",
            _ => "invalid",
        };
        Log.Rejected(_logger, context.Request.Path, reason);
        string message = reason switch
        {
            "missing" => "Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
            "revoked" => "This API key has been revoked.",
            "expired" => "This API key has expired.",
            _ => "Incorrect API key provided.",
        };
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var error = new BackendError(StatusCodes.Status401Unauthorized, BackendErrorTypes.Authentication, message) { Code = "invalid_api_key" };
        return ErrorResponses.WriteForPathAsync(context, error);
    }

    private static void WriteRateHeaders(HttpResponse response, LimitDecision decision)
    {
        IHeaderDictionary headers = response.Headers;
        if (decision.RequestLimit is { } limit)
        {
            headers["x-ratelimit-limit-requests"] = limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = decision.RequestsRemaining.GetValueOrDefault().ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = Duration(decision.RequestsReset.GetValueOrDefault());
        }

        if (decision.TokenLimit is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = tokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = decision.TokensRemaining.GetValueOrDefault().ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = Duration(decision.TokensReset.GetValueOrDefault());
        }

        if (decision.BudgetRemainingMicros is { } remaining)
        {
            // USD left in the budget window before this request; the window's end in OpenAI's duration format.
            headers["x-godex-budget-remaining"] = Money.Usd(remaining);
            headers["x-godex-budget-reset"] = Duration(decision.BudgetReset.GetValueOrDefault());
        }
    }

    /// <summary>
    /// OpenAI's format, Go's duration notation: <c>1m30s</c>, <c>6m0s</c>, <c>24h0m0s</c>, <c>12.5s</c>, <c>250ms</c>,
    /// to the millisecond (OpenAI's own reset headers read <c>1s</c>, <c>6m0s</c>; clients parse them that way).
    /// </summary>
    internal static string Duration(TimeSpan value)
    {
        long ms = (long)Math.Round(Math.Max(0, value.TotalMilliseconds));
        if (ms == 0)
        {
            return "0s";
        }

        if (ms < 1000)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        long hours = ms / 3_600_000;
        long minutes = ms / 60_000 % 60;
        decimal seconds = ms % 60_000 / 1000m;
        string text = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        if (hours > 0 || minutes > 0)
        {
            text = minutes.ToString(CultureInfo.InvariantCulture) + "m" + text;
        }

        return hours > 0 ? hours.ToString(CultureInfo.InvariantCulture) + "h" + text : text;
    }

    private static string? PresentedKey(HttpRequest request)
    {
        string? authorization = request.Headers.Authorization;
        if (!string.IsNullOrEmpty(authorization) && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            string token = authorization["Bearer ".Length..].Trim();
            if (token.Length > 0)
            {
                return token;
            }
        }

        string? apiKey = request.Headers["x-api-key"];
        return string.IsNullOrEmpty(apiKey) ? null : apiKey.Trim();
    }

    // Next event id: 1303.
    private static partial class Log
    {
        [LoggerMessage(1300, LogLevel.Information, "Rejected {Path}: {Reason} client key", EventName = "ClientKeyRejected")]
        public static partial void Rejected(ILogger logger, PathString path, string reason);

        [LoggerMessage(1301, LogLevel.Information, "Refused a request of key {KeyId}: {Verdict} limit, retry after {Seconds} s", EventName = "ClientKeyLimited")]
        public static partial void Refused(ILogger logger, string keyId, LimitVerdict verdict, long seconds);

        [LoggerMessage(1302, LogLevel.Error, "Shared limits of key {KeyId} could not be checked: the database failed", EventName = "LimitStoreFailed")]
        public static partial void LimitStoreFailed(ILogger logger, string keyId, Exception exception);
    }
}
