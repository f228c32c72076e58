using System.Text.Json;
using Godex.Core.Conversation;

namespace Godex.Core.Tokens;

/// <summary>
/// The prompt size of a request as a GPT/Codex model will see it, counted with the real <c>o200k_base</c> tokenizer
/// (<see cref="O200kTokenCounter"/>). It answers <c>/v1/messages/count_tokens</c> for non-Anthropic models and
/// pre-counts <c>message_start.usage.input_tokens</c> when the upstream reports usage only at the end.
/// <para>Text is tokenized exactly. The framing around it follows OpenAI's published counting rules for chat models
/// (openai-cookbook, "How to count tokens with tiktoken"): 3 tokens per message and 3 to prime the reply; a function
/// definition costs its name and description plus 3 per parameter (name, type, description, 3 per enum value), 7
/// before the first and 12 after the last. Parameters that are not flat (nested objects, arrays of objects) count
/// as their JSON text. Non-text parts are estimates: an image 765 tokens (a 1024×1024 image at high detail), a file
/// one token per 4 bytes of its content. The measured error against upstream-reported counts is in docs/wire.md.</para>
/// <para>Linear and bounded (issue 14): see <see cref="O200kTokenCounter"/> for long runs and
/// <see cref="TokenCountBudget"/> for the per-request limit.</para>
/// </summary>
internal static class PromptTokenCount
{
    private const int PerMessage = 3;
    private const int ReplyPriming = 3;
    private const int FunctionsInit = 7;
    private const int FunctionsEnd = 12;
    private const int PerProperty = 3;
    private const int PerEnumValue = 3;
    private const int ImageTokens = 765;

    /// <summary>
    /// The count, linear in the request's text and bounded in CPU: the first
    /// <see cref="TokenCountBudget.DefaultExactCharacters"/> characters are tokenized, the rest estimated. Throws
    /// <see cref="OperationCanceledException"/> soon after <paramref name="cancellationToken"/> fires (the client left).
    /// </summary>
    public static long Count(ChatRequest request, CancellationToken cancellationToken) =>
        Count(request, new TokenCountBudget(TokenCountBudget.DefaultExactCharacters, cancellationToken));

    internal static long Count(ChatRequest request, TokenCountBudget budget)
    {
        ArgumentNullException.ThrowIfNull(request);
        long tokens = ReplyPriming;
        foreach (ChatMessage message in request.Messages)
        {
            tokens += PerMessage;
            foreach (ContentPart part in message.Parts)
            {
                tokens += Part(part, budget);
            }
        }

        if (request.Tools.Count > 0)
        {
            tokens += FunctionsInit + FunctionsEnd;
            foreach (ChatTool tool in request.Tools)
            {
                tokens += Function(tool, budget);
            }
        }

        foreach (HostedTool hosted in request.HostedTools)
        {
            tokens += O200kTokenCounter.Count(hosted.Type, budget);
        }

        return tokens;
    }

    private static long Part(ContentPart part, TokenCountBudget budget) => part switch
    {
        TextPart text => O200kTokenCounter.Count(text.Text, budget),
        RefusalPart refusal => O200kTokenCounter.Count(refusal.Refusal, budget),
        ReasoningPart reasoning => O200kTokenCounter.Count(reasoning.Text, budget),
        ToolCallPart call => O200kTokenCounter.Count(call.Name, budget) + O200kTokenCounter.Count(call.Arguments, budget),
        ToolResultPart result => Parts(result.Content, budget),
        ImagePart => ImageTokens,
        FilePart file => ((file.Data?.Length ?? 0) * 3 / 4 / 4) + O200kTokenCounter.Count(file.FileName, budget),
        RawPart raw => O200kTokenCounter.Count(raw.Json.GetRawText(), budget),
        _ => 0,
    };

    private static long Parts(IReadOnlyList<ContentPart> parts, TokenCountBudget budget)
    {
        long tokens = 0;
        foreach (ContentPart part in parts)
        {
            tokens += Part(part, budget);
        }

        return tokens;
    }

    private static long Function(ChatTool tool, TokenCountBudget budget)
    {
        long tokens = O200kTokenCounter.Count(tool.Name, budget) + O200kTokenCounter.Count(tool.Description, budget);
        if (tool.Parameters is not JsonElement { ValueKind: JsonValueKind.Object } schema)
        {
            return tokens;
        }

        if (!schema.TryGetProperty("properties", out JsonElement properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return tokens + O200kTokenCounter.Count(schema.GetRawText(), budget);
        }

        foreach (JsonProperty property in properties.EnumerateObject())
        {
            tokens += PerProperty + O200kTokenCounter.Count(property.Name, budget) + Property(property.Value, budget);
        }

        return tokens;
    }

    /// <summary>One parameter: its type, description and enum values; anything deeper counts as its JSON text.</summary>
    private static long Property(JsonElement property, TokenCountBudget budget)
    {
        if (property.ValueKind != JsonValueKind.Object)
        {
            return O200kTokenCounter.Count(property.GetRawText(), budget);
        }

        long tokens = 0;
        foreach (JsonProperty field in property.EnumerateObject())
        {
            switch (field.Name)
            {
                case "type" or "description" when field.Value.ValueKind == JsonValueKind.String:
                    tokens += O200kTokenCounter.Count(field.Value.GetString(), budget);
                    break;
                case "enum" when field.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement value in field.Value.EnumerateArray())
                    {
                        tokens += PerEnumValue + O200kTokenCounter.Count(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), budget);
                    }

                    break;
                default:
                    tokens += O200kTokenCounter.Count(field.Name, budget) + O200kTokenCounter.Count(field.Value.GetRawText(), budget);
                    break;
            }
        }

        return tokens;
    }
}
