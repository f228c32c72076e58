using Godex.Core.Conversation;
using Godex.Core.Keys;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Metering;

/// <summary>
/// <para>
/// The usage-recording hook for front doors. <c>Access.ClientKeyMiddleware</c> attaches one to every <c>/v1</c>
/// request and, when the request ends (success, error, refusal, client gone), writes exactly one ledger row through
/// <see cref="Godex.Core.Metering.IUsageRecorder"/> with the key, the status, the latency and the request id. A front door
/// only reports what it learns, from anywhere in its handler:
/// </para>
/// <code>
/// BackendError? denied = RequestUsage.CheckModel(context, route.Model);   // the key's model allow-list (403)
/// RequestUsage.Report(context, route.Model, route.Backend.Name);          // once routed
/// RequestUsage.Report(context, route.Model, route.Backend.Name, usage);   // each time usage arrives (last wins)
/// </code>
/// <para>
/// Report the usage of <see cref="UsageEvent"/> and <see cref="ResponseCompletedEvent"/> as they pass (stream or
/// not), so a stream the client cuts still records the usage seen so far. Both calls are cheap, never throw and do
/// nothing when no middleware is in the pipeline.
/// </para>
/// </summary>
public sealed class RequestUsage
{
    /// <summary>The key id of a request made with the static <c>--api-key</c>.</summary>
    public const string StaticKeyId = "static";

    /// <summary>The key id of a request made with no key (none is required).</summary>
    public const string AnonymousKeyId = "anonymous";

    internal RequestUsage(string keyId, ClientKey? key, long startTimestamp)
    {
        KeyId = keyId;
        Key = key;
        StartTimestamp = startTimestamp;
    }

    /// <summary>The key the request authenticated with: <c>key_...</c>, <c>static</c> (<c>--api-key</c>) or <c>anonymous</c>.</summary>
    public string KeyId { get; }

    /// <summary>The stored key, when the request used one.</summary>
    public ClientKey? Key { get; }

    /// <summary>True when the request is paid with an L402 token (<see cref="Key"/> then carries its model caveat).</summary>
    internal bool PaidWithL402 { get; init; }

    internal long StartTimestamp { get; }

    /// <summary>The front door's name for metrics and logs (set when telemetry watches the request).</summary>
    internal string? Door { get; set; }

    /// <summary>When the response headers went out; 0 until then (or when neither the ledger nor telemetry times the request).</summary>
    internal long FirstByteTimestamp { get; set; }

    /// <summary>
    /// Time to the response headers, for the ledger and every observer alike. A handler that wrote its whole answer
    /// without flushing has not started the response yet: its headers go out as the pipeline returns, so its first
    /// byte is its end. Null when the client left first.
    /// </summary>
    internal TimeSpan? TimeToFirstByte(TimeProvider time, int status, TimeSpan latency) =>
        FirstByteTimestamp != 0 ? time.GetElapsedTime(StartTimestamp, FirstByteTimestamp)
        : status == 499 ? null
        : latency;

    /// <summary>True once the response started as a stream (<c>text/event-stream</c>).</summary>
    internal bool Streaming { get; set; }

    /// <summary>The request's span, when tracing is on and the request is sampled.</summary>
    internal System.Diagnostics.Activity? Activity { get; set; }

    public string Model { get; private set; } = "";

    public string Backend { get; private set; } = "";

    public string? Account { get; private set; }

    public Usage Usage { get; private set; } = Usage.Empty;

    /// <summary>Characters of output streamed so far: the estimate (4 per token) when a cut stream got no usage.</summary>
    internal long OutputCharacters { get; private set; }

    /// <summary>
    /// What the ledger records: the upstream's usage when it reported any, else (a stream cut before the upstream's
    /// final count) an estimate of the output streamed so far.
    /// </summary>
    internal Usage Final => Usage != Usage.Empty || OutputCharacters == 0
        ? Usage
        : new Usage { OutputTokens = (OutputCharacters + 3) / 4 };

    /// <summary>The request's record, or null outside the middleware.</summary>
    /// <remarks>
    /// The feature collection's indexer, not <c>Get&lt;T&gt;</c>: a generic virtual method, which Native AOT resolves by
    /// a lookup on every call (<c>GVMLookupForSlot</c>, ~200 instructions), and a request asks for its record ~5 times.
    /// </remarks>
    public static RequestUsage? Of(HttpContext context) => context?.Features[typeof(RequestUsage)] as RequestUsage;

    /// <summary>
    /// The identity that owns what the request stores (Responses-API responses): its key id (<c>key_...</c>,
    /// <c>static</c>, an L402 token's <c>l402:...</c>), or <c>anonymous</c> when no key was presented or needed.
    /// </summary>
    public static string OwnerOf(HttpContext context) => Of(context)?.KeyId ?? AnonymousKeyId;

    /// <summary>Records the model and backend (and, when given, the latest usage) of the request.</summary>
    public static void Report(HttpContext context, string model, string backend, Usage? usage = null, string? account = null)
    {
        if (Of(context) is not { } record)
        {
            return;
        }

        record.Model = model ?? record.Model;
        record.Backend = backend ?? record.Backend;
        record.Account = account ?? record.Account;
        if (usage is not null && usage != Usage.Empty)
        {
            record.Usage = usage;
        }
    }

    /// <summary>
    /// Records usage seen in a stream event (<see cref="UsageEvent"/>, <see cref="ResponseCompletedEvent"/>) and the
    /// account that serves (<see cref="ResponseStartedEvent.Account"/>); other events are ignored.
    /// </summary>
    public static void Observe(HttpContext context, StreamEvent streamEvent) => Observe(Of(context), streamEvent);

    /// <summary>As <see cref="Observe(HttpContext, StreamEvent)"/>, into a record already looked up (none: nothing to record).</summary>
    public static void Observe(RequestUsage? record, StreamEvent streamEvent)
    {
        if (record is null)
        {
            return;
        }

        switch (streamEvent)
        {
            case ResponseStartedEvent { Account: { } account }:
                record.Account = account;
                break;
            case UsageEvent { Usage: var usage } when usage != Usage.Empty:
                record.Usage = usage;
                break;
            case ResponseCompletedEvent { Usage: var usage } when usage != Usage.Empty:
                record.Usage = usage;
                break;
            case TextDeltaEvent text:
                record.OutputCharacters += text.Text.Length;
                break;
            case ReasoningDeltaEvent reasoning:
                record.OutputCharacters += reasoning.Text.Length;
                break;
            case ToolCallArgumentsDeltaEvent arguments:
                record.OutputCharacters += arguments.Delta.Length;
                break;
        }
    }

    /// <summary>
    /// Null when the request's key may use <paramref name="model"/>; otherwise a 403 <c>permission_error</c> for the
    /// front door to send in its dialect.
    /// </summary>
    public static BackendError? CheckModel(HttpContext context, string model)
    {
        if (Of(context)?.Key is not { } key || key.AllowsModel(model))
        {
            return null;
        }

        if (Of(context)!.PaidWithL402)
        {
            return new BackendError(StatusCodes.Status401Unauthorized, BackendErrorTypes.Authentication, $"L402: this token's godex_models caveat does not allow the model `{model}`.")
            {
                Param = "model",
                Code = "model_not_allowed",
            };
        }

        return new BackendError(StatusCodes.Status403Forbidden, BackendErrorTypes.Permission, $"This API key may not use the model `{model}`.")
        {
            Param = "model",
            Code = "model_not_allowed",
        };
    }
}
