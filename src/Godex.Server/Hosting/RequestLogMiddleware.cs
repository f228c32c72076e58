using System.Diagnostics;
using Godex.Core.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Hosting;

/// <summary><c>--log-requests</c>: one line per request with method, path, status and latency. Never bodies or keys.</summary>
internal sealed partial class RequestLogMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<RequestLogMiddleware> _logger;

    public RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await _next(context);
        }
        finally
        {
            double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            string path = InputLimits.ForLog(context.Request.Path.Value ?? "/"); // a request line may be 8 KB
            Log.Request(_logger, context.Request.Method, path, context.Response.StatusCode, elapsedMs);
        }
    }

    // EventIds 100-100; next free: 101.
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "Request", Level = LogLevel.Information, Message = "{Method} {Path} {Status} {ElapsedMs:F1} ms")]
        public static partial void Request(ILogger logger, string method, string path, int status, double elapsedMs);
    }
}
