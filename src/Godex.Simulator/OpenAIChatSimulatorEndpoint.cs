using System.Text.Json;
using Godex.Core.Sse;
using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// An OpenAI-compatible chat provider under <c>/openai/v1</c>: <c>chat/completions</c> (JSON or <c>data:</c>-only
/// chunks ending with the <c>choices: []</c> usage chunk when <c>stream_options.include_usage</c>, then
/// <c>data: [DONE]</c>, as in test/fixtures/openai-python-chat-recorded) and <c>models</c>.
/// Errors use <c>{"error":{"message","type","param","code"}}</c>. Under <c>/quirky/v1</c> the same provider has the
/// quirks real OpenAI-compatible servers have (Gemini's endpoint, some local servers): a tool call arrives whole in
/// one chunk together with <c>finish_reason</c> and without an <c>id</c>, and usage rides on that last chunk instead
/// of a <c>choices: []</c> chunk.
/// </summary>
internal static class OpenAIChatSimulatorEndpoint
{
    public const string CompletionsPath = "/openai/v1/chat/completions";
    public const string ModelsPath = "/openai/v1/models";
    public const string QuirkyCompletionsPath = "/quirky/v1/chat/completions";
    public const string QuirkyModelsPath = "/quirky/v1/models";

    private const string Fingerprint = "fp_godexsim01";

    private static readonly string[] s_models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"];

    public static async Task HandleCompletionsAsync(HttpContext context, SimulatorState state, bool quirky = false)
    {
        string path = quirky ? QuirkyCompletionsPath : CompletionsPath;
        state.CountCall(path);
        string? bearer = SimulatorHttp.BearerToken(context);
        state.RecordBearer(path, bearer);
        if (bearer is null || (state.Options.ChatApiKey is { } required && !string.Equals(bearer, required, StringComparison.Ordinal)))
        {
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
            return;
        }

        // A key with a quota (SimulatorOptions.Accounts) that is spent: OpenAI's 429 with Retry-After until the window resets.
        if (state.Consume(bearer) is { Allowed: false } spent)
        {
            context.Response.Headers.RetryAfter = spent.ResetsInSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteErrorAsync(context, StatusCodes.Status429TooManyRequests,
                $"Rate limit reached for requests. Please try again in {spent.ResetsInSeconds}s.", "requests", "rate_limit_exceeded");
            return;
        }

        (JsonDocument? document, int length) = await SimulatorHttp.ReadJsonAsync(context, state);
        using (document)
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
                    "invalid_request_error", null);
                return;
            }

            if (ChatRequestRules.FindViolation(document.RootElement) is { } violation)
            {
                await SimulatorHttp.WriteOpenAIErrorAsync(context, StatusCodes.Status400BadRequest, violation.Message, "invalid_request_error", violation.Param, violation.Code);
                return;
            }

            JsonElement body = document.RootElement;
            var request = SimulatorRequest.FromChat(body, length);
            SimulatorFault fault = state.ResolveFault(path, request.Prompt, out string prompt, out int? status);
            if (status is int failure)
            {
                if (failure == StatusCodes.Status429TooManyRequests)
                {
                    SimulatorHttp.SetRetryAfter(context, state);
                    await WriteErrorAsync(context, failure, "Rate limit reached. Please try again in 1s.", "requests", "rate_limit_exceeded");
                }
                else
                {
                    await WriteErrorAsync(context, failure, "The server had an error while processing your request.", "server_error", null);
                }

                return;
            }

            SimulatorPlan plan = SimulatorScript.Plan(request, prompt, fault);
            var ids = new ChatIds(state.NextId("chatcmpl-", 29), quirky ? "" : state.NextId("call_", 24), state.UnixNow, request.Model);
            bool stream = body.TryGetProperty("stream", out JsonElement streamFlag) && streamFlag.ValueKind == JsonValueKind.True;
            if (!stream)
            {
                await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w => WriteCompletion(w, ids, plan));
                return;
            }

            bool includeUsage = body.TryGetProperty("stream_options", out JsonElement options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out JsonElement include) && include.ValueKind == JsonValueKind.True;
            await StreamAsync(context, new SimulatorPacer(context, state, fault), ids, plan, includeUsage, quirky);
        }
    }

    public static Task HandleModelsAsync(HttpContext context, SimulatorState state)
    {
        state.CountCall(context.Request.Path);
        return SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (string id in s_models)
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "model");
                w.WriteNumber("created", 1715367049);
                w.WriteString("owned_by", "system");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task StreamAsync(HttpContext context, SimulatorPacer pacer, ChatIds ids, SimulatorPlan plan, bool includeUsage, bool quirky)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        using SseWriter sse = SimulatorHttp.StartSse(context);
        bool refusal = plan.Stop == SimulatorStop.Refusal;
        if (quirky)
        {
            await StreamQuirkyAsync(sse, pacer, ids, plan, includeUsage, cancellationToken);
            return;
        }

        ValueTask ChunkAsync(Action<Utf8JsonWriter> delta, string? finishReason) => sse.WriteAsync(null, w =>
        {
            WriteHeader(w, ids, "chat.completion.chunk");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            w.WriteNull("logprobs");
            SimulatorHttp.WriteStringOrNull(w, "finish_reason", finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }, cancellationToken);

        await ChunkAsync(w =>
        {
            w.WriteString("role", "assistant");
            if (plan.ToolCall is { } call)
            {
                w.WriteNull("content");
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteString("id", ids.CallId);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Name);
                w.WriteString("arguments", string.Empty);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteNull("refusal");
            }
            else if (refusal)
            {
                w.WriteNull("content");
                w.WriteString("refusal", string.Empty);
            }
            else
            {
                w.WriteString("content", string.Empty);
                w.WriteNull("refusal");
            }
        }, finishReason: null);

        IReadOnlyList<string> deltas = plan.ToolCall?.InputDeltas ?? plan.TextDeltas;
        foreach (string delta in deltas)
        {
            if (!await pacer.NextDeltaAsync(cancellationToken))
            {
                return;
            }

            await ChunkAsync(w =>
            {
                if (plan.ToolCall is not null)
                {
                    w.WriteStartArray("tool_calls");
                    w.WriteStartObject();
                    w.WriteNumber("index", 0);
                    w.WriteStartObject("function");
                    w.WriteString("arguments", delta);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteString(refusal ? "refusal" : "content", delta);
                }
            }, finishReason: null);
        }

        if (await pacer.CutBeforeEndAsync(cancellationToken))
        {
            return;
        }

        await ChunkAsync(static _ => { }, FinishReason(plan));
        if (includeUsage)
        {
            await sse.WriteAsync(null, w =>
            {
                WriteHeader(w, ids, "chat.completion.chunk");
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, plan);
                w.WriteEndObject();
            }, cancellationToken);
        }

        await sse.WriteDoneAsync(cancellationToken);
    }

    /// <summary>
    /// The quirky provider: text as deltas; a tool call whole in one chunk with its finish reason and no id; usage (when
    /// asked for) on the last chunk, which still has its choice.
    /// </summary>
    private static async Task StreamQuirkyAsync(SseWriter sse, SimulatorPacer pacer, ChatIds ids, SimulatorPlan plan, bool includeUsage, CancellationToken cancellationToken)
    {
        if (plan.ToolCall is null)
        {
            foreach (string delta in plan.TextDeltas)
            {
                if (!await pacer.NextDeltaAsync(cancellationToken))
                {
                    return;
                }

                await sse.WriteAsync(null, w => WriteQuirkyChunk(w, ids, plan, delta, finishReason: null, includeUsage: false), cancellationToken);
            }

            if (await pacer.CutBeforeEndAsync(cancellationToken))
            {
                return;
            }
        }

        await sse.WriteAsync(null, w => WriteQuirkyChunk(w, ids, plan, null, FinishReason(plan), includeUsage), cancellationToken);
        await sse.WriteDoneAsync(cancellationToken);
    }

    private static void WriteQuirkyChunk(Utf8JsonWriter w, ChatIds ids, SimulatorPlan plan, string? text, string? finishReason, bool includeUsage)
    {
        WriteHeader(w, ids, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        w.WriteString("role", "assistant");
        if (text is not null)
        {
            w.WriteString("content", text);
        }
        else if (finishReason is not null && plan.ToolCall is { } call)
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Input);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        SimulatorHttp.WriteStringOrNull(w, "finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage)
        {
            WriteUsage(w, plan);
        }

        w.WriteEndObject();
    }

    private static void WriteCompletion(Utf8JsonWriter w, ChatIds ids, SimulatorPlan plan)
    {
        bool refusal = plan.Stop == SimulatorStop.Refusal;
        WriteHeader(w, ids, "chat.completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (plan.ToolCall is { } call)
        {
            w.WriteNull("content");
            w.WriteNull("refusal");
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteString("id", ids.CallId);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Input);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else
        {
            SimulatorHttp.WriteStringOrNull(w, "content", refusal ? null : plan.Text);
            SimulatorHttp.WriteStringOrNull(w, "refusal", refusal ? plan.Text : null);
        }

        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishReason(plan));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, plan);
        w.WriteEndObject();
    }

    private static string FinishReason(SimulatorPlan plan) => plan.Stop switch
    {
        SimulatorStop.ToolUse => "tool_calls",
        SimulatorStop.MaxTokens => "length",
        _ => "stop",
    };

    private static void WriteHeader(Utf8JsonWriter w, ChatIds ids, string objectType)
    {
        w.WriteStartObject();
        w.WriteString("id", ids.CompletionId);
        w.WriteString("object", objectType);
        w.WriteNumber("created", ids.Created);
        w.WriteString("model", ids.Model);
        w.WriteString("system_fingerprint", Fingerprint);
    }

    private static void WriteUsage(Utf8JsonWriter w, SimulatorPlan plan)
    {
        // Chat deltas carry no reasoning here, so completion tokens exclude the plan's reasoning.
        int completion = plan.OutputTokens - plan.ReasoningTokens;
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", plan.InputTokens);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", plan.InputTokens + completion);
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message, string type, string? code) =>
        SimulatorHttp.WriteOpenAIErrorAsync(context, status, message, type, param: null, code);

    private readonly record struct ChatIds(string CompletionId, string CallId, long Created, string Model);
}
