using System.Text.Json;
using Godex.Core;
using Godex.Core.Conversation;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Admin;

/// <summary>
/// <c>GET /admin/stats?range=1h|24h|7d|30d</c>: the ledger in time buckets (requests, errors, tokens, spend, time to
/// first byte and latency p50/p95) and the period's errors by status, for the dashboard's Overview charts. A bucket
/// whose rows have no time to first byte (written before the ledger kept it) has no <c>ttfb_*</c> fields.
/// </summary>
internal static class AdminStats
{
    /// <summary>Each range and its bucket width: 60 to 120 points a chart.</summary>
    internal static readonly (string Name, TimeSpan Range, TimeSpan Bucket)[] Ranges =
    [
        ("1h", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)),
        ("24h", TimeSpan.FromHours(24), TimeSpan.FromMinutes(15)),
        ("7d", TimeSpan.FromDays(7), TimeSpan.FromHours(2)),
        ("30d", TimeSpan.FromDays(30), TimeSpan.FromHours(6)),
    ];

    public static async Task HandleAsync(HttpContext context, IKeyStore store, JsonElement body)
    {
        string name = context.Request.Query["range"].ToString() is { Length: > 0 } given ? given : "1h";
        int index = Array.FindIndex(Ranges, r => r.Name == name);
        if (index < 0)
        {
            await ErrorResponses.WriteOpenAIAsync(context, new BackendError(StatusCodes.Status400BadRequest, BackendErrorTypes.InvalidRequest, "range must be one of 1h, 24h, 7d, 30d") { Param = "range" });
            return;
        }

        (_, TimeSpan range, TimeSpan bucket) = Ranges[index];
        if (context.RequestServices.GetService<IUsageRecorder>() is UsageLedgerWriter writer)
        {
            await writer.FlushAsync(context.RequestAborted);
        }

        DateTimeOffset now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        DateTimeOffset since = Start(now, range, bucket);
        UsageSeries series = await context.RequestServices.GetRequiredService<IUsageLedger>().SeriesAsync(since, bucket, context.RequestAborted);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => Write(w, name, now, series));
    }

    /// <summary>The first bucket's start: <paramref name="range"/> before now, aligned down to a whole bucket (UTC), so buckets do not shift between refreshes.</summary>
    internal static DateTimeOffset Start(DateTimeOffset now, TimeSpan range, TimeSpan bucket)
    {
        long width = (long)bucket.TotalMilliseconds;
        long from = (now - range).ToUnixTimeMilliseconds();
        return DateTimeOffset.FromUnixTimeMilliseconds(from - (((from % width) + width) % width));
    }

    internal static void Write(Utf8JsonWriter w, string range, DateTimeOffset now, UsageSeries series)
    {
        w.WriteStartObject();
        w.WriteString("range"u8, range);
        w.WriteNumber("since_ms"u8, series.Since.ToUnixTimeMilliseconds());
        w.WriteNumber("until_ms"u8, now.ToUnixTimeMilliseconds());
        w.WriteNumber("bucket_ms"u8, (long)series.Bucket.TotalMilliseconds);
        long requests = 0, errors = 0, input = 0, output = 0, cost = 0;
        w.WriteStartArray("buckets"u8);
        foreach (UsageBucket b in series.Buckets)
        {
            w.WriteStartObject();
            w.WriteNumber("t"u8, b.Start.ToUnixTimeMilliseconds());
            w.WriteNumber("requests"u8, b.Requests);
            w.WriteNumber("errors"u8, b.Errors);
            w.WriteNumber("input_tokens"u8, b.InputTokens);
            w.WriteNumber("output_tokens"u8, b.OutputTokens);
            w.WriteNumber("cost_micros"u8, b.CostMicros);
            w.WriteNumber("latency_p50_ms"u8, b.LatencyP50Ms);
            w.WriteNumber("latency_p95_ms"u8, b.LatencyP95Ms);
            if (b.TtfbP50Ms is { } ttfb50 && b.TtfbP95Ms is { } ttfb95)
            {
                w.WriteNumber("ttfb_p50_ms"u8, ttfb50);
                w.WriteNumber("ttfb_p95_ms"u8, ttfb95);
            }
            w.WriteEndObject();
            requests += b.Requests;
            errors += b.Errors;
            input += b.InputTokens;
            output += b.OutputTokens;
            cost += b.CostMicros;
        }

        w.WriteEndArray();
        w.WriteStartArray("errors"u8);
        foreach (StatusCount e in series.Errors)
        {
            w.WriteStartObject();
            w.WriteNumber("status"u8, e.Status);
            w.WriteString("kind"u8, KindOf(e.Status));
            w.WriteNumber("count"u8, e.Count);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("totals"u8);
        w.WriteNumber("requests"u8, requests);
        w.WriteNumber("errors"u8, errors);
        w.WriteNumber("input_tokens"u8, input);
        w.WriteNumber("output_tokens"u8, output);
        w.WriteNumber("cost_micros"u8, cost);
        w.WriteString("cost_usd"u8, Money.Usd(cost));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>What an error status means to an operator.</summary>
    internal static string KindOf(int status) => status switch
    {
        400 or 404 or 405 or 413 or 415 or 422 => "invalid request",
        401 or 403 => "authentication",
        402 => "payment required",
        408 => "client timeout",
        429 => "rate limit or budget",
        499 => "client went away",
        502 or 504 => "upstream failure",
        503 => "overloaded",
        >= 500 => "server error",
        _ => "client error",
    };
}
