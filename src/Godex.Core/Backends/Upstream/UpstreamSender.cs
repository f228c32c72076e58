using System.Globalization;
using System.Net.Http.Headers;
using Godex.Core.Auth;
using Godex.Core.Conversation;
using Microsoft.Extensions.Logging;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// The one send path every provider's requests take, translated or passed through.
/// </summary>
/// <remarks>
/// <code>
/// 1. credential (GetCredentialAsync)                 ── none usable → 503 upstream_login_unavailable
/// 2. POST/GET, response headers within connect_timeout ── unreachable → retried, then 502; no headers → 504
/// 3. 408/429/5xx/529 → retried up to retry_max, waiting the upstream's Retry-After when ≤ retry_max_wait
/// 4. 401 → the credential refreshed once and the request sent again; still 401 → 503 upstream_login_rejected
/// 5. 3xx → 502 (godex never follows an upstream's redirect: it would carry the token elsewhere)
/// 6. other non-2xx → the first 64 KiB of the body → the profile's error value (Retry-After kept)
/// 7. 2xx → a live UpstreamResponse: body read idle-timed, and within total_timeout when the client does not stream;
///    an event stream whose first events refuse in-band (429/5xx: overloaded) is a refusal as in 3 (PeekRefusalAsync)
/// </code>
/// Nothing is retried once the response headers of a 2xx arrived: after that, bytes may have reached the client.
/// A send that timed out waiting for headers is not retried either: the upstream may be working on it.
/// </remarks>
public sealed partial class UpstreamSender<TCredential>
    where TCredential : class
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly UpstreamClient? _upstream; // _http, when it is one: its direct send path
    private readonly UpstreamProfile<TCredential> _profile;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IUpstreamObserver? _observer;

    /// <param name="http">The backend's client: an <see cref="UpstreamClient"/> in the proxy (its direct send path), any client in tests.</param>
    /// <param name="profile">What this provider and account need.</param>
    /// <param name="time">The clock of the timeouts and retries.</param>
    /// <param name="logger">The backend's logger.</param>
    /// <param name="observer">
    /// The application's observer of every call (metrics), told when the request has none of its own
    /// (<see cref="UpstreamObserver.Current"/>, for traces and the upstream audit): counting needs no per-request state.
    /// </param>
    public UpstreamSender(HttpClient http, UpstreamProfile<TCredential> profile, TimeProvider time, ILogger logger, IUpstreamObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _http = http;
        _upstream = http as UpstreamClient;
        _profile = profile;
        _time = time;
        _logger = logger;
        _observer = observer;
    }

    /// <summary>The application's observer of every call, or null (see the constructor).</summary>
    public IUpstreamObserver? Observer => _observer;

    /// <summary>The profile this sender sends for.</summary>
    public UpstreamProfile<TCredential> Profile => _profile;

    /// <summary>
    /// Step 1 alone, for a provider whose request body depends on the login (an OAuth login adds a system block):
    /// the credential, or the refusal to answer with.
    /// </summary>
    public async ValueTask<(TCredential? Credential, UpstreamResponse? Refusal)> GetCredentialAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await _profile.GetCredentialAsync(null, cancellationToken), null);
        }
        catch (CredentialException ex)
        {
            Log.CredentialUnavailable(_logger, _profile.Name, ex.Message);
            return (null, UpstreamResponse.Refused(LoginUnavailable(), _profile.DisplayName));
        }
    }

    /// <summary>Steps 1–7. Never throws for an upstream failure; throws only when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<UpstreamResponse> SendAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        (TCredential? credential, UpstreamResponse? refusal) = await GetCredentialAsync(cancellationToken);
        return credential is null ? refusal! : await SendAsync(request, credential, cancellationToken);
    }

    /// <summary>Steps 2–7 with a credential already in hand.</summary>
    public async Task<UpstreamResponse> SendAsync(UpstreamRequest request, TCredential credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credential);
        var options = _profile.Options;
        var timer = new ExchangeTimer(request.ClientStreams ? null : options.TotalTimeout, _time, cancellationToken);
        using IUpstreamCall? call = (UpstreamObserver.Current ?? _observer)?.Start(_profile.Name, request);
        try
        {
            bool refreshed = false;
            for (int attempt = 0; ; attempt++)
            {
                Log.Sending(_logger, _profile.Name, request.Model, request.Uri, _profile.Describe(credential));
                HttpResponseMessage? response = null;
                BackendError? failure = null;
                timer.WaitForHeaders(request.AnswersWhenDone ? options.TotalTimeout : options.ConnectTimeout);
                using (HttpRequestMessage message = CreateMessage(request, credential))
                {
                    // Here, not in a method of its own: one async state machine less per request.
                    call?.Sending(message.Headers);
                    try
                    {
                        response = _upstream is not null
                            ? await _upstream.SendForHeadersAsync(message, timer.Token)
                            : await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timer.Token);
                    }
                    catch (HttpRequestException ex)
                    {
                        failure = Unreachable(request, ex);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        failure = NoHeaders(timer);
                    }
                }

                if (failure is not null)
                {
                    if (failure.Status == 502 && attempt < (request.RetryMax ?? options.RetryMax))
                    {
                        // Could not connect: nothing reached the upstream, so another try is safe.
                        call?.Retrying("connect");
                        timer.Pause();
                        await Task.Delay(Backoff(attempt), _time, cancellationToken);
                        continue;
                    }

                    Log.Refused(_logger, _profile.Name, failure.Status, failure.Message);
                    call?.Answered(0, failure.Status == 502 ? "connect" : "timeout");
                    timer.Dispose();
                    return UpstreamResponse.Refused(failure, _profile.DisplayName);
                }

                int status = (int)response!.StatusCode;
                if (status == 401 && !refreshed)
                {
                    // Rejected before its expiry (revoked, rotated elsewhere): refresh once and send again.
                    refreshed = true;
                    TCredential? renewed = null;
                    timer.Pause();
                    try
                    {
                        renewed = await _profile.GetCredentialAsync(credential, cancellationToken);
                    }
                    catch (CredentialException ex)
                    {
                        // No refresh possible (an API key, a revoked refresh token): the 401 below is the answer.
                        Log.CredentialUnavailable(_logger, _profile.Name, ex.Message);
                    }

                    if (renewed is not null && !_profile.SameCredential(renewed, credential))
                    {
                        Log.RetryingAfterRefresh(_logger, _profile.Name, request.Model);
                        response.Dispose();
                        credential = renewed;
                        attempt--;
                        continue;
                    }
                }

                if (UpstreamHttp.IsRetryable(response.StatusCode) && attempt < (request.RetryMax ?? options.RetryMax))
                {
                    TimeSpan? asked = UpstreamHttp.RetryAfter(response, _time);
                    if (asked is null || asked <= options.RetryMaxWait)
                    {
                        call?.Retrying(status.ToString(CultureInfo.InvariantCulture));
                        response.Dispose();
                        timer.Pause();
                        await Task.Delay(asked ?? Backoff(attempt), _time, cancellationToken);
                        continue;
                    }
                }

                if (response.IsSuccessStatusCode)
                {
                    var answer = new UpstreamResponse(response, _profile.DisplayName, options, timer, cancellationToken);
                    BackendError? inBand;
                    try
                    {
                        inBand = _profile.PreambleRules is { } rules ? await answer.PeekRefusalAsync(rules) : null;
                    }
                    catch
                    {
                        answer.Close(); // the client went away while the first events were read
                        throw;
                    }

                    if (inBand is null)
                    {
                        call?.Answered(status, null);
                        return answer;
                    }

                    // Accepted, then refused in-band before any content: a refusal like a 429 or 5xx status (step 3),
                    // unless the stream broke (the upstream may have worked on it).
                    answer.Close();
                    TimeSpan? wait = UpstreamHttp.RetryAfter(response, _time) ?? inBand.RetryAfter;
                    if (answer.Fault is null && attempt < (request.RetryMax ?? options.RetryMax) && (wait is null || wait <= options.RetryMaxWait))
                    {
                        call?.Retrying(inBand.Status.ToString(CultureInfo.InvariantCulture));
                        timer.Pause();
                        await Task.Delay(wait ?? Backoff(attempt), _time, cancellationToken);
                        continue;
                    }

                    Log.Refused(_logger, _profile.Name, inBand.Status, inBand.Code ?? inBand.Type);
                    call?.Answered(answer.Fault is null ? inBand.Status : 0, answer.Fault is null ? ErrorKind(inBand.Status) : "connect");
                    timer.Dispose();
                    return UpstreamResponse.Refused(inBand.Status == 500 ? inBand with { Status = 502 } : inBand, _profile.DisplayName, response);
                }

                call?.Answered(status, ErrorKind(status));

                UpstreamResponse refused = await RefusedAsync(response, timer, cancellationToken);
                timer.Dispose();
                return refused;
            }
        }
        catch
        {
            timer.Dispose();
            throw;
        }
    }

    /// <summary>The 502 of a send that could not connect (nothing reached the upstream).</summary>
    private BackendError Unreachable(UpstreamRequest request, HttpRequestException ex) =>
        BackendError.Upstream(502, $"cannot reach {_profile.DisplayName} at {request.Uri.GetLeftPart(UriPartial.Path)}: {ex.Message}");

    /// <summary>The 504 of a send whose response headers did not come in time.</summary>
    private BackendError NoHeaders(ExchangeTimer timer)
    {
        TimeSpan waited = timer.Expired == ExchangeTimer.Wait.Total ? _profile.Options.TotalTimeout : _profile.Options.ConnectTimeout;
        return new BackendError(504, BackendErrorTypes.Timeout, string.Create(CultureInfo.InvariantCulture,
            $"{_profile.DisplayName} did not answer within {waited.TotalSeconds:0.#} s"));
    }

    private HttpRequestMessage CreateMessage(UpstreamRequest request, TCredential credential)
    {
        var message = new HttpRequestMessage(request.Method, request.Uri);
        HttpRequestHeaders headers = message.Headers;
        // Constant values, added untyped: the typed header objects cost a parse and two allocations per request.
        headers.TryAddWithoutValidation("Accept", request.AcceptEventStream ? "text/event-stream" : "application/json");
        _profile.AddHeaders(headers, credential, request.Headers);
        IReadOnlyList<KeyValuePair<string, string>> clientHeaders = request.Headers.All;
        for (int i = 0; i < clientHeaders.Count; i++) // by index: no enumerator boxed per request
        {
            (string name, string value) = clientHeaders[i];
            if (!headers.Contains(name))
            {
                headers.TryAddWithoutValidation(name, value); // validated by UpstreamHeaders
            }
        }

        if (request.Method != HttpMethod.Get)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }

        return message;
    }

    private async Task<UpstreamResponse> RefusedAsync(HttpResponseMessage response, ExchangeTimer timer, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
        {
            string location = response.Headers.Location is { } to ? $" to {to.GetLeftPart(UriPartial.Path)}" : "";
            response.Dispose();
            Log.Refused(_logger, _profile.Name, status, "redirect");
            return UpstreamResponse.Refused(
                BackendError.Upstream(502, $"{_profile.DisplayName} answered {status} (a redirect{location}); godex does not follow upstream redirects: check base_url"),
                _profile.DisplayName);
        }

        byte[] body = await ReadCappedAsync(response, timer, cancellationToken);
        BackendError error = _profile.ReadError(status, body);
        error = error with { RetryAfter = UpstreamHttp.RetryAfter(response, _time) ?? error.RetryAfter };
        if (status == 500)
        {
            // A 500 from godex always means godex itself failed; the upstream's failure is a bad gateway.
            error = error with { Status = 502 };
        }

        Log.Refused(_logger, _profile.Name, status, error.Code ?? error.Type);
        if (status is 401 or 407)
        {
            // The upstream refused godex's own login (after a refresh): not something the client can fix with its key.
            return UpstreamResponse.Refused(
                new BackendError(503, BackendErrorTypes.Server, $"{_profile.DisplayName} rejected godex's {_profile.Name} login ({error.Message}); the operator must log in again (godex auth status)")
                {
                    Code = "upstream_login_rejected",
                },
                _profile.DisplayName,
                response);
        }

        return UpstreamResponse.Refused(error, _profile.DisplayName, response, body);
    }

    /// <summary>The first <see cref="MaxErrorBodyBytes"/> of a refusal's body, read within the connect timeout.</summary>
    private async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, ExchangeTimer timer, CancellationToken cancellationToken)
    {
        timer.WaitForHeaders(_profile.Options.ConnectTimeout);
        byte[] buffer = new byte[MaxErrorBodyBytes];
        int total = 0;
        try
        {
            await using Stream stream = await response.Content.ReadAsStreamAsync(timer.Token);
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), timer.Token)) > 0)
            {
                total += read;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A refusal whose body broke or stalled: its status still says what happened.
        }

        return buffer.AsSpan(0, total).ToArray();
    }

    /// <summary>The kind of failure a status is, for <see cref="IUpstreamCall.Answered"/>; null for a success.</summary>
    private static string? ErrorKind(int status) => status switch
    {
        < 300 => null,
        < 400 => "redirect",
        401 or 407 => "login",
        429 => "http_429",
        < 500 => "http_4xx",
        _ => "http_5xx",
    };

    private BackendError LoginUnavailable() =>
        new(503, BackendErrorTypes.Server, $"godex has no usable {_profile.Name} login; the operator must log in (godex auth status shows what is missing)")
        {
            Code = "upstream_login_unavailable",
        };

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(_profile.Options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt));

    // Event ids 400-405; next free: 406.
    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Debug, "Sending {Model} to {Backend} at {Uri} ({Login})", EventName = "UpstreamSending")]
        public static partial void Sending(ILogger logger, string backend, string model, Uri uri, string login);

        [LoggerMessage(401, LogLevel.Information, "{Backend} rejected the login for {Model}; refreshed it and sending again once", EventName = "UpstreamRetryAfterRefresh")]
        public static partial void RetryingAfterRefresh(ILogger logger, string backend, string model);

        [LoggerMessage(402, LogLevel.Warning, "{Backend} refused the request with {Status} ({Reason})", EventName = "UpstreamRefused")]
        public static partial void Refused(ILogger logger, string backend, int status, string reason);

        [LoggerMessage(403, LogLevel.Warning, "The {Backend} login is unavailable: {Reason}", EventName = "UpstreamLoginUnavailable")]
        public static partial void CredentialUnavailable(ILogger logger, string backend, string reason);
    }
}
