using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// <c>POST /backend-api/codex/responses</c>: the ChatGPT Codex backend. Stream-only Responses API with the backend's
/// own rules (gateways.md §2.2). Validation errors use the backend's FastAPI shape <c>{"detail":"..."}</c>; the 429
/// uses its <c>usage_limit_reached</c> error object, other injected faults <c>{"error":{"message","type","code"}}</c>.
/// </summary>
internal static class CodexSimulatorEndpoint
{
    public const string Path = "/backend-api/codex/responses";

    public static async Task HandleAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(Path);
        string? bearer = SimulatorHttp.BearerToken(context);
        state.RecordBearer(Path, bearer);
        if (bearer is null)
        {
            await WriteDetailAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
            return;
        }

        (JsonDocument? document, int length) = await SimulatorHttp.ReadJsonAsync(context, state);
        using (document)
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                await WriteDetailAsync(context, StatusCodes.Status400BadRequest, "Invalid JSON body");
                return;
            }

            JsonElement body = document.RootElement;
            if (CodexRequestRules.FindViolation(body) is { } rejection)
            {
                await WriteRejectionAsync(context, rejection);
                return;
            }

            SimulatorQuota? quota = state.Consume(bearer);
            if (quota is { Allowed: false })
            {
                await WriteUsageLimitAsync(context, quota);
                return;
            }

            quota?.WriteCodexHeaders(context.Response);
            var request = SimulatorRequest.FromResponses(body, length);
            SimulatorFault fault = state.ResolveFault(Path, request.Prompt, out string prompt, out int? status);
            if (status is int failure)
            {
                await WriteFaultAsync(context, state, failure);
                return;
            }

            SimulatorPlan plan = SimulatorScript.Plan(request, prompt, fault);
            var stream = new CodexResponseStream(context, state, body, new SimulatorPacer(context, state, fault));
            if (state.OverloadNow(Path, request.Prompt, fault))
            {
                await stream.WriteOverloadedAsync();
                return;
            }

            await stream.WriteAsync(plan, fault.Refusal);
        }
    }

    private static Task WriteRejectionAsync(HttpContext context, SimulatorRejection rejection) =>
        rejection.IsDetail
            ? WriteDetailAsync(context, StatusCodes.Status400BadRequest, rejection.Message)
            : SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status400BadRequest, rejection.Message, "invalid_request_error", rejection.Param, rejection.Code);

    private static Task WriteDetailAsync(HttpContext context, int status, string detail) =>
        SimulatorHttp.WriteJsonAsync(context, status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("detail", detail);
            writer.WriteEndObject();
        });

    /// <summary>The backend's answer once an account's usage limit is reached: 429 <c>usage_limit_reached</c> with its reset.</summary>
    private static Task WriteUsageLimitAsync(HttpContext context, SimulatorQuota quota)
    {
        quota.WriteCodexHeaders(context.Response);
        context.Response.Headers.RetryAfter = quota.ResetsInSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status429TooManyRequests, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("type", "usage_limit_reached");
            writer.WriteString("message", "The usage limit has been reached");
            writer.WriteString("plan_type", "pro");
            writer.WriteNumber("resets_at", quota.ResetsAt.ToUnixTimeSeconds());
            writer.WriteNumber("resets_in_seconds", quota.ResetsInSeconds);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    private static Task WriteFaultAsync(HttpContext context, SimulatorState state, int status)
    {
        if (status == StatusCodes.Status429TooManyRequests)
        {
            SimulatorHttp.SetRetryAfter(context, state);
            int seconds = state.Options.RetryAfterSeconds;
            return SimulatorHttp.WriteJsonAsync(context, status, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartObject("error");
                writer.WriteString("type", "usage_limit_reached");
                writer.WriteString("message", "The usage limit has been reached");
                writer.WriteString("plan_type", "pro");
                writer.WriteNumber("resets_at", state.UnixNow + seconds);
                writer.WriteNumber("resets_in_seconds", seconds);
                writer.WriteEndObject();
                writer.WriteEndObject();
            });
        }

        (string type, string message) = status switch
        {
            529 or 503 => ("server_is_overloaded", "Our servers are currently overloaded. Please try again later."),
            >= 500 => ("server_error", "An error occurred while processing your request."),
            _ => ("invalid_request_error", "Simulated failure."),
        };
        return SimulatorHttp.WriteJsonAsync(context, status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            writer.WriteString("code", type);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }
}
