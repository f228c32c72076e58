using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// The Anthropic Messages API: <c>POST /v1/messages</c> (JSON or SSE), <c>POST /v1/messages/count_tokens</c> and
/// <c>GET /v1/models</c>. Errors use Anthropic's envelope <c>{"type":"error","error":{"type","message"},"request_id"}</c>.
/// <c>?beta=true</c> and any <c>anthropic-beta</c> header are accepted and ignored, as Claude Code sends both.
/// </summary>
internal static class AnthropicSimulatorEndpoint
{
    public const string MessagesPath = "/v1/messages";
    public const string CountTokensPath = "/v1/messages/count_tokens";
    public const string ModelsPath = "/v1/models";

    private static readonly (string Id, string DisplayName, string CreatedAt)[] s_models =
    [
        ("claude-opus-4-5", "Claude Opus 4.5", "2025-11-24T00:00:00Z"),
        ("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
        ("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"),
        ("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
        ("claude-sonnet-4-0", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
    ];

    public static async Task HandleMessagesAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(MessagesPath);
        state.RecordBearer(MessagesPath, SimulatorHttp.BearerToken(context));
        if (!IsAuthenticated(context))
        {
            await WriteErrorAsync(context, state, StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");
            return;
        }

        (JsonDocument? document, int length) = await SimulatorHttp.ReadJsonAsync(context, state);
        using (document)
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                await WriteErrorAsync(context, state, StatusCodes.Status400BadRequest, "invalid_request_error", "The request body is not valid JSON.");
                return;
            }

            JsonElement body = document.RootElement;
            if (AnthropicRequestRules.FindViolation(body, context.Request.Headers["anthropic-beta"]) is { } problem)
            {
                await WriteErrorAsync(context, state, StatusCodes.Status400BadRequest, "invalid_request_error", problem);
                return;
            }

            SimulatorQuota? quota = state.Consume(ApiKey(context));
            quota?.WriteAnthropicHeaders(context.Response);
            if (quota is { Allowed: false })
            {
                context.Response.Headers.RetryAfter = quota.ResetsInSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, state, StatusCodes.Status429TooManyRequests, "rate_limit_error", "This request would exceed your account's rate limit. Please try again later.");
                return;
            }

            var request = SimulatorRequest.FromAnthropic(body, length);
            SimulatorFault fault = state.ResolveFault(MessagesPath, request.Prompt, out string prompt, out int? status);
            if (status is int failure)
            {
                await WriteFaultAsync(context, state, failure);
                return;
            }

            SimulatorPlan plan = SimulatorScript.Plan(request, prompt, fault);
            var message = new AnthropicMessageWriter(state, request.Model, plan);
            if (body.TryGetProperty("stream", out JsonElement stream) && stream.ValueKind == JsonValueKind.True)
            {
                await message.StreamAsync(context, new SimulatorPacer(context, state, fault));
            }
            else
            {
                await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, message.WriteMessage);
            }
        }
    }

    public static async Task HandleCountTokensAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(CountTokensPath);
        if (!IsAuthenticated(context))
        {
            await WriteErrorAsync(context, state, StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");
            return;
        }

        (JsonDocument? document, int length) = await SimulatorHttp.ReadJsonAsync(context);
        document?.Dispose();
        if (document is null)
        {
            await WriteErrorAsync(context, state, StatusCodes.Status400BadRequest, "invalid_request_error", "The request body is not valid JSON.");
            return;
        }

        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("input_tokens", Math.Max(1, length / 4));
            writer.WriteEndObject();
        });
    }

    public static async Task HandleModelsAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(ModelsPath);
        if (!IsAuthenticated(context))
        {
            await WriteErrorAsync(context, state, StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");
            return;
        }

        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("data");
            foreach ((string id, string displayName, string createdAt) in s_models)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "model");
                writer.WriteString("id", id);
                writer.WriteString("display_name", displayName);
                writer.WriteString("created_at", createdAt);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteBoolean("has_more", false);
            writer.WriteString("first_id", s_models[0].Id);
            writer.WriteString("last_id", s_models[^1].Id);
            writer.WriteEndObject();
        });
    }

    private static string? ApiKey(HttpContext context) =>
        context.Request.Headers["x-api-key"] is { Count: > 0 } key && !string.IsNullOrWhiteSpace(key) ? key.ToString() : SimulatorHttp.BearerToken(context);

    private static bool IsAuthenticated(HttpContext context) =>
        !string.IsNullOrWhiteSpace(context.Request.Headers["x-api-key"]) || SimulatorHttp.BearerToken(context) is not null;

    private static Task WriteFaultAsync(HttpContext context, SimulatorState state, int status)
    {
        (string type, string message) = status switch
        {
            429 => ("rate_limit_error", "This request would exceed the rate limit for your organization. Please try again later."),
            529 => ("overloaded_error", "Overloaded"),
            >= 500 => ("api_error", "Internal server error"),
            401 => ("authentication_error", "invalid x-api-key"),
            403 => ("permission_error", "Your API key does not have permission to use the specified resource."),
            _ => ("invalid_request_error", "Simulated failure."),
        };
        if (status is 429 or 529)
        {
            SimulatorHttp.SetRetryAfter(context, state);
        }

        if (status is 429 or >= 500)
        {
            context.Response.Headers["x-should-retry"] = "true";
        }

        return WriteErrorAsync(context, state, status, type, message);
    }

    private static Task WriteErrorAsync(HttpContext context, SimulatorState state, int status, string type, string message)
    {
        string requestId = state.NextId("req_011C", 20);
        context.Response.Headers["request-id"] = requestId;
        return SimulatorHttp.WriteJsonAsync(context, status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteString("request_id", requestId);
            writer.WriteEndObject();
        });
    }
}
