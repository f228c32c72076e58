namespace Godex.Core.Conversation;

/// <summary>
/// An expected upstream or routing failure, as a value (YARP's <c>ForwarderError</c> idea): exceptions are for bugs.
/// </summary>
/// <param name="Status">The HTTP status a front door answers with before the first byte.</param>
/// <param name="Type">The error category in the OpenAI vocabulary (<see cref="BackendErrorTypes"/>).</param>
/// <param name="Message">A message for the user; never contains secrets.</param>
public sealed record BackendError(int Status, string Type, string Message)
{
    /// <summary>When the upstream said to retry (Retry-After, reset hints).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The upstream's own error code or type, when it gave one (<c>usage_limit_reached</c>, <c>overloaded_error</c>).</summary>
    public string? Code { get; init; }

    /// <summary>The request parameter at fault, for invalid-request errors.</summary>
    public string? Param { get; init; }

    public static BackendError InvalidRequest(string message, string? param = null) =>
        new(400, BackendErrorTypes.InvalidRequest, message) { Param = param };

    public static BackendError Upstream(int status, string message) =>
        new(status, BackendErrorTypes.ForStatus(status), message);
}

/// <summary>The OpenAI error <c>type</c> vocabulary; front doors map it to their dialect.</summary>
public static class BackendErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RateLimit = "rate_limit_error";
    public const string Server = "api_error";
    public const string Overloaded = "overloaded_error";
    public const string Timeout = "timeout_error";
    public const string RequestTooLarge = "request_too_large";

    /// <summary>402: Anthropic's name for "pay first"; godex uses it for L402 challenges in both dialects.</summary>
    public const string Billing = "billing_error";

    public static string ForStatus(int status) => status switch
    {
        400 or 422 => InvalidRequest,
        401 => Authentication,
        402 => Billing,
        403 => Permission,
        404 => NotFound,
        408 or 504 => Timeout,
        413 => RequestTooLarge,
        429 => RateLimit,
        529 or 503 => Overloaded,
        _ => Server,
    };
}
