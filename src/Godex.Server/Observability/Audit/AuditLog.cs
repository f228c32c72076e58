using System.Text.Json;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Observability.Audit;

/// <summary>
/// The original's three diagnostic files, each optional:
/// <list type="bullet">
/// <item><c>proxy.audit_path</c>: one line per <c>/v1</c> request, its metadata (the <see cref="RequestOutcome"/>
/// fields) and, with <c>proxy.audit_bodies</c>, its body as <c>request</c>.</item>
/// <item><c>proxy.trace_path</c>: per request, a <c>request</c> line (direction <c>in</c>: path, redacted headers,
/// body) and a <c>response</c> line (direction <c>out</c>: status, tokens, timings). <c>godex proxy replay</c> reads
/// it.</item>
/// <item><c>proxy.upstream_audit_path</c>: per upstream call, the exact body godex sent and the upstream's answer status.</item>
/// </list>
/// Credentials never reach these files: headers that carry them are written as <c>[redacted]</c>, and godex's own
/// upstream credentials are added below the observer, so they are never seen here.
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    private readonly JsonlFile? _audit;
    private readonly JsonlFile? _trace;
    private readonly JsonlFile? _upstream;
    private readonly bool _auditBodies;
    private readonly TimeProvider _time;

    private AuditLog(ProxyOptions proxy, TimeProvider time, ILogger logger)
    {
        _time = time;
        _auditBodies = proxy.AuditBodies;
        _audit = proxy.AuditPath is { } audit ? new JsonlFile(audit, proxy.AuditMaxBytes, proxy.AuditMaxBackups, logger) : null;
        _trace = proxy.TracePath is { } trace ? new JsonlFile(trace, proxy.TraceMaxBytes, proxy.TraceMaxBackups, logger) : null;
        _upstream = proxy.UpstreamAuditPath is { } upstream ? new JsonlFile(upstream, proxy.TraceMaxBytes, proxy.TraceMaxBackups, logger) : null;
    }

    /// <summary>The files <paramref name="proxy"/> asks for, or null when it asks for none.</summary>
    public static AuditLog? Create(ProxyOptions proxy, TimeProvider time, ILogger logger) =>
        proxy.AuditPath is null && proxy.TracePath is null && proxy.UpstreamAuditPath is null ? null : new AuditLog(proxy, time, logger);

    /// <summary>Whether request bodies are kept (the request stream is then buffered so it can be read again).</summary>
    public bool CapturesRequestBody => _trace is not null || (_audit is not null && _auditBodies);

    /// <summary>Whether upstream calls are written.</summary>
    public bool AuditsUpstream => _upstream is not null;

    public void RequestFinished(RequestOutcome outcome, HttpRequest request, ReadOnlyMemory<byte>? body)
    {
        _audit?.Write((outcome, body: _auditBodies ? body : null), static (w, s) =>
        {
            s.outcome.WriteFields(w);

            // The original's names for the same numbers, so its readers (and scripts/replay-audit-*) keep working.
            w.WriteNumber("elapsed_ms"u8, (long)s.outcome.Duration.TotalMilliseconds);
            w.WriteNumber("tokens_in"u8, s.outcome.Usage.InputTokens);
            w.WriteNumber("tokens_out"u8, s.outcome.Usage.OutputTokens);
            WritePayload(w, "request"u8, s.body);
        });

        if (_trace is null)
        {
            return;
        }

        _trace.Write((outcome, request, body), static (w, s) =>
        {
            w.WriteString("ts"u8, s.outcome.Timestamp - s.outcome.Duration);
            w.WriteString("request_id"u8, s.outcome.RequestId);
            w.WriteString("layer"u8, "proxy"u8);
            w.WriteString("direction"u8, "in"u8);
            w.WriteString("method"u8, s.outcome.Method);
            w.WriteString("path"u8, s.outcome.Path);
            w.WriteString("phase"u8, "request"u8);
            w.WriteStartObject("headers"u8);
            foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in s.request.Headers)
            {
                w.WriteString(name, IsSecret(name) ? "[redacted]" : values.ToString());
            }

            w.WriteEndObject();
            WritePayload(w, "payload"u8, s.body);
        });
        _trace.Write(outcome, static (w, o) =>
        {
            w.WriteString("layer"u8, "proxy"u8);
            w.WriteString("direction"u8, "out"u8);
            w.WriteString("phase"u8, "response"u8);
            o.WriteFields(w);
        });
    }

    public void UpstreamSending(string requestId, string backend, UpstreamRequest request) =>
        _upstream?.Write((requestId, backend, request, ts: _time.GetUtcNow()), static (w, s) =>
        {
            w.WriteString("ts"u8, s.ts);
            w.WriteString("request_id"u8, s.requestId);
            w.WriteString("phase"u8, "request"u8);
            w.WriteString("backend"u8, s.backend);
            w.WriteString("model"u8, s.request.Model);
            w.WriteString("method"u8, s.request.Method.Method);
            w.WriteString("url"u8, s.request.Uri.GetLeftPart(UriPartial.Path));
            WritePayload(w, "payload"u8, s.request.Body);
        });

    public void UpstreamAnswered(string requestId, string backend, int status, string? errorKind) =>
        _upstream?.Write((requestId, backend, status, errorKind, ts: _time.GetUtcNow()), static (w, s) =>
        {
            w.WriteString("ts"u8, s.ts);
            w.WriteString("request_id"u8, s.requestId);
            w.WriteString("phase"u8, s.errorKind is null ? "response"u8 : "http_error"u8);
            w.WriteString("backend"u8, s.backend);
            w.WriteNumber("status"u8, s.status);
            if (s.errorKind is not null)
            {
                w.WriteString("error"u8, s.errorKind);
            }
        });

    public void UpstreamRetrying(string requestId, string backend, string reason) =>
        _upstream?.Write((requestId, backend, reason, ts: _time.GetUtcNow()), static (w, s) =>
        {
            w.WriteString("ts"u8, s.ts);
            w.WriteString("request_id"u8, s.requestId);
            w.WriteString("phase"u8, "retry"u8);
            w.WriteString("backend"u8, s.backend);
            w.WriteString("reason"u8, s.reason);
        });

    /// <summary>Waits until everything written so far is on disk.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (JsonlFile? file in (JsonlFile?[])[_audit, _trace, _upstream])
        {
            if (file is not null)
            {
                await file.FlushAsync(cancellationToken);
            }
        }
    }

    /// <summary>Names of headers whose values are credentials (or may be).</summary>
    internal static bool IsSecret(string name) =>
        name.Contains("auth", StringComparison.OrdinalIgnoreCase)
        || name.Contains("key", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("cookie", StringComparison.OrdinalIgnoreCase)
        || name.Contains("session", StringComparison.OrdinalIgnoreCase);

    /// <summary>A body as JSON when it is JSON (so the line stays one readable object), else as a string.</summary>
    private static void WritePayload(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlyMemory<byte>? body)
    {
        if (body is not { } bytes)
        {
            return;
        }

        var reader = new Utf8JsonReader(bytes.Span);
        try
        {
            if (JsonDocument.TryParseValue(ref reader, out JsonDocument? document))
            {
                using (document)
                {
                    writer.WritePropertyName(name);
                    document.RootElement.WriteTo(writer);
                    return;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: kept as text below.
        }

        writer.WriteString(name, System.Text.Encoding.UTF8.GetString(bytes.Span));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (JsonlFile? file in (JsonlFile?[])[_audit, _trace, _upstream])
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }
        }
    }
}
