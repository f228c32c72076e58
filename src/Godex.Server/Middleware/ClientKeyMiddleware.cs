using System.Security.Cryptography;
using System.Text;
using Godex.Configuration;
using Godex.Conversation;
using Godex.Protocols.OpenAI;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Godex.Server.Middleware;

/// <summary>
/// Client-key check for every <c>/v1/*</c> request when <see cref="ProxyOptions.ApiKey"/> is set and
/// <see cref="ProxyOptions.AllowAnyKey"/> is off. The key may come as <c>Authorization: Bearer &lt;key&gt;</c> (OpenAI
/// SDKs) or <c>x-api-key</c> (Anthropic SDKs). A missing or wrong key gets a 401 in the dialect of the path:
/// Anthropic's for <c>/v1/messages*</c>, OpenAI's elsewhere. Other paths (<c>/health</c>) are open. The key is
/// never logged.
/// </summary>
public sealed partial class ClientKeyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GodexOptions _options;
    private readonly ILogger<ClientKeyMiddleware> _logger;

    public ClientKeyMiddleware(RequestDelegate next, GodexOptions options, ILogger<ClientKeyMiddleware> logger)
    {
        _next = next;
        _options = options;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ProxyOptions proxy = _options.Proxy;
        if (string.IsNullOrEmpty(proxy.ApiKey) || proxy.AllowAnyKey || !context.Request.Path.StartsWithSegments("/v1"))
        {
            return _next(context);
        }

        string? presented = PresentedKey(context.Request);
        if (presented is not null && KeyEquals(presented, proxy.ApiKey))
        {
            return _next(context);
        }

        Log.Rejected(_logger, context.Request.Path, presented is null ? "missing" : "invalid");
        string message = presented is null
            ? "Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'."
            : "Incorrect API key provided.";
        context.Response.Headers.WWWAuthenticate = "Bearer";
        if (context.Request.Path.StartsWithSegments("/v1/messages"))
        {
            return JsonResponse.WriteAsync(context, StatusCodes.Status401Unauthorized, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "error"u8);
                writer.WriteStartObject("error"u8);
                writer.WriteString("type"u8, "authentication_error"u8);
                writer.WriteString("message"u8, message);
                writer.WriteEndObject();
                writer.WriteEndObject();
            });
        }

        var error = new BackendError(StatusCodes.Status401Unauthorized, BackendErrorTypes.Authentication, message)
        {
            Code = "invalid_api_key",
        };
        return JsonResponse.WriteAsync(context, error.Status, writer => ChatCompletionJson.WriteError(writer, error));
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

    /// <summary>
    /// Constant-time comparison. Both sides are hashed first so that the comparison length (and its time) says
    /// nothing about the configured key's length.
    /// </summary>
    private static bool KeyEquals(string presented, string expected)
    {
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> expectedHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), expectedHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, expectedHash);
    }

    // Next event id: 1301.
    private static partial class Log
    {
        [LoggerMessage(1300, LogLevel.Information, "Rejected {Path}: {Reason} client key", EventName = "ClientKeyRejected")]
        public static partial void Rejected(ILogger logger, PathString path, string reason);
    }
}
