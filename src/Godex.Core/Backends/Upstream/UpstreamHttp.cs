using System.Net;
using System.Net.Http.Headers;
using Godex.Core.Configuration;

namespace Godex.Core.Backends.Upstream;

/// <summary>
/// HTTP plumbing every provider shares: one pooled <see cref="SocketsHttpHandler"/> per upstream, configured
/// explicitly (YARP style), and retries that happen only before the first response byte reaches the client.
/// </summary>
public static class UpstreamHttp
{
    /// <summary>A client for one upstream. No overall timeout: streams are bounded by an idle timeout instead.</summary>
    public static UpstreamClient CreateClient(UpstreamOptions options) => new(CreateHandler(options));

    /// <summary>The pooled handler behind <see cref="CreateClient"/>, for callers that wrap it (exec's request log).</summary>
    public static SocketsHttpHandler CreateHandler(UpstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = int.MaxValue,

            // No trace headers from the HTTP stack, whatever the host's switches: godex adds traceparent itself, and only
            // with proxy.tracing.propagate (an upstream is a third party).
            ActivityHeadersPropagator = null,
        };
    }

    /// <summary>True for the statuses worth another try: 408, 429, 500, 502, 503, 504, 529.</summary>
    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
        || (int)status == 529;

    /// <summary>
    /// The wait the upstream asked for: <c>Retry-After</c> (seconds or a date), <c>retry-after-ms</c>, or the
    /// rate-limit reset headers; null when it said nothing.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out IEnumerable<string>? msValues)
            && double.TryParse(msValues.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double ms))
        {
            return TimeSpan.FromMilliseconds(Math.Max(0, ms));
        }

        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is TimeSpan delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is DateTimeOffset date)
        {
            TimeSpan wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>
    /// Sends a request built by <paramref name="createRequest"/> (a new message per attempt), reading only the
    /// headers. Retries retryable statuses and connection failures up to <see cref="UpstreamOptions.RetryMax"/> times,
    /// waiting the upstream's Retry-After (when within <see cref="UpstreamOptions.RetryMaxWait"/>) or an exponential
    /// delay. The last response is returned whatever its status; the caller turns a failure into a
    /// <c>BackendError</c>. Throws <see cref="HttpRequestException"/> only when the last attempt could not connect.
    /// </summary>
    public static async Task<HttpResponseMessage> SendWithRetryAsync(
        HttpClient client,
        Func<HttpRequestMessage> createRequest,
        UpstreamOptions options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool lastAttempt = attempt >= options.RetryMax;
            HttpResponseMessage response;
            try
            {
                using HttpRequestMessage request = createRequest();
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (!lastAttempt && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(options, attempt), time, cancellationToken);
                continue;
            }

            if (lastAttempt || !IsRetryable(response.StatusCode))
            {
                return response;
            }

            TimeSpan? asked = RetryAfter(response, time);
            if (asked > options.RetryMaxWait)
            {
                // The upstream wants longer than we are willing to hold the client: let the client decide.
                return response;
            }

            response.Dispose();
            await Task.Delay(asked ?? Backoff(options, attempt), time, cancellationToken);
        }
    }

    private static TimeSpan Backoff(UpstreamOptions options, int attempt) =>
        TimeSpan.FromMilliseconds(options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt));
}
