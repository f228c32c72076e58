using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Godex.Core;
using Godex.Core.Backends.Upstream;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Observability.Tracing;

/// <summary>
/// godex's spans (activity source <see cref="SourceName"/>), exported over OTLP by <see cref="TracingSetup"/>: one
/// server span per <c>/v1</c> request and one client span per upstream call under it, with the attributes of the
/// OpenTelemetry GenAI semantic conventions (<c>gen_ai.operation.name</c>, <c>gen_ai.provider.name</c>,
/// <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>, <c>gen_ai.usage.input_tokens</c>,
/// <c>gen_ai.usage.output_tokens</c>). Used only when <c>proxy.tracing.enabled</c>; without a listener
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null at once.
/// </summary>
internal static class GodexTracing
{
    public const string SourceName = "Godex";

    private static readonly ActivitySource s_source = new(SourceName, GodexVersion.Current);

    /// <summary>The request's span, continuing the client's trace when it sent a valid <c>traceparent</c>.</summary>
    public static Activity? StartRequest(HttpContext context)
    {
        HttpRequest request = context.Request;
        ActivityContext parent = default;
        if (request.Headers.TryGetValue("traceparent", out var traceparent)
            && ActivityContext.TryParse(traceparent.ToString(), request.Headers["tracestate"].ToString(), isRemote: true, out ActivityContext parsed))
        {
            parent = parsed;
        }

        Activity? activity = s_source.StartActivity(ActivityKind.Server, parent, name: request.Method + " " + request.Path.Value);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", request.Method);
            activity.SetTag("url.path", request.Path.Value);
            activity.SetTag("godex.request_id", context.TraceIdentifier);
        }

        return activity;
    }

    public static void FinishRequest(Activity activity, RequestOutcome outcome)
    {
        if (activity.IsAllDataRequested)
        {
            string? operation = OperationOf(outcome.Door);
            if (operation is not null)
            {
                activity.SetTag("gen_ai.operation.name", operation);
            }

            if (outcome.Model.Length > 0)
            {
                activity.SetTag("gen_ai.request.model", outcome.Model);
                activity.SetTag("gen_ai.response.model", outcome.Model);
            }

            if (ProviderOf(outcome.Backend) is { } provider)
            {
                activity.SetTag("gen_ai.provider.name", provider);
            }

            activity.SetTag("gen_ai.usage.input_tokens", outcome.Usage.InputTokens);
            activity.SetTag("gen_ai.usage.output_tokens", outcome.Usage.OutputTokens);
            if (outcome.Usage.CachedInputTokens > 0)
            {
                activity.SetTag("gen_ai.usage.cache_read.input_tokens", outcome.Usage.CachedInputTokens);
            }

            activity.SetTag("http.response.status_code", outcome.Status);
            activity.SetTag("godex.key_id", outcome.KeyId);
            activity.SetTag("godex.backend", outcome.Backend);
            if (outcome.Account is not null)
            {
                activity.SetTag("godex.account", outcome.Account);
            }

            activity.SetTag("godex.stream", outcome.Stream);
            activity.SetTag("godex.cost_usd_micros", outcome.CostMicros);
            if (outcome.TimeToFirstByte is { } firstByte)
            {
                activity.SetTag("godex.time_to_first_byte_ms", Math.Round(firstByte.TotalMilliseconds, 3));
            }

            if (outcome.Status >= 400)
            {
                activity.SetTag("error.type", outcome.Status.ToString(CultureInfo.InvariantCulture));
                activity.SetStatus(outcome.Status >= 500 ? ActivityStatusCode.Error : ActivityStatusCode.Unset);
            }
        }

        activity.Stop();
    }

    /// <summary>The upstream call's client span, a child of the request's (GenAI client span: <c>{operation} {model}</c>).</summary>
    public static Activity? StartUpstream(string backend, UpstreamRequest request)
    {
        Activity? activity = s_source.StartActivity(ActivityKind.Client, name: "chat " + request.Model);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", "chat");
            activity.SetTag("gen_ai.request.model", request.Model);
            if (ProviderOf(backend) is { } provider)
            {
                activity.SetTag("gen_ai.provider.name", provider);
            }

            activity.SetTag("godex.backend", backend);
            activity.SetTag("http.request.method", request.Method.Method);
            activity.SetTag("server.address", request.Uri.Host);
            activity.SetTag("server.port", request.Uri.Port);
            activity.SetTag("url.full", request.Uri.GetLeftPart(UriPartial.Path));
        }

        return activity;
    }

    public static void Retrying(Activity activity, string reason) =>
        activity.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["reason"] = reason }));

    public static void Answered(Activity activity, int status, string? errorKind)
    {
        if (status > 0)
        {
            activity.SetTag("http.response.status_code", status);
        }

        if (errorKind is not null)
        {
            activity.SetTag("error.type", errorKind);
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>W3C trace context for the upstream (only with <c>proxy.tracing.propagate</c>).</summary>
    public static void Inject(Activity activity, HttpRequestHeaders headers)
    {
        headers.Remove("traceparent");
        headers.TryAddWithoutValidation("traceparent", activity.Id);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.Remove("tracestate");
            headers.TryAddWithoutValidation("tracestate", activity.TraceStateString);
        }
    }

    private static string? OperationOf(string door) => door switch
    {
        "chat_completions" or "messages" or "responses" => "chat",
        _ => null,
    };

    /// <summary>The semantic conventions' provider names.</summary>
    private static string? ProviderOf(string backend) => backend switch
    {
        "codex" => "openai",
        "anthropic" => "anthropic",
        "" => null,
        _ => backend,
    };
}
