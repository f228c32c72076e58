using System.Text.Json;
using Godex.Conversation;

namespace Godex.Protocols.Anthropic;

/// <summary>
/// A prompt-size estimate for <c>message_start.usage.input_tokens</c> when the upstream reports usage only at the end
/// (Codex, chat providers): Claude Code's context meter reads that field, and a zero breaks it.
/// <para>The approximation, in the spirit of BPE tokenizers on English and code: every run of ASCII counts one token
/// per 4 characters (rounded up), every non-ASCII character one token; each message adds 4 tokens of framing, each
/// tool definition its name, description and schema text; an image counts 1,600 tokens (Anthropic's figure for an
/// image at the size limit) and a base64 document one token per 6 bytes of base64. The final
/// <c>message_delta</c> carries the upstream's real count.</para>
/// </summary>
internal static class MessagesTokenEstimate
{
    private const int MessageOverhead = 4;
    private const int ImageTokens = 1600;

    public static long Estimate(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        long tokens = 0;
        foreach (ChatMessage message in request.Messages)
        {
            tokens += MessageOverhead;
            foreach (ContentPart part in message.Parts)
            {
                tokens += Part(part);
            }
        }

        foreach (ChatTool tool in request.Tools)
        {
            tokens += Text(tool.Name) + Text(tool.Description) + (tool.Parameters is JsonElement schema ? Text(schema.GetRawText()) : 0);
        }

        return Math.Max(1, tokens);
    }

    /// <summary>The token estimate of one text (see the class remarks).</summary>
    public static long Text(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        long tokens = 0;
        int asciiRun = 0;
        foreach (char c in text)
        {
            if (c < 128)
            {
                asciiRun++;
                continue;
            }

            tokens += (asciiRun + 3) / 4;
            asciiRun = 0;
            if (!char.IsLowSurrogate(c))
            {
                tokens++;
            }
        }

        return tokens + ((asciiRun + 3) / 4);
    }

    private static long Part(ContentPart part) => part switch
    {
        TextPart text => Text(text.Text),
        RefusalPart refusal => Text(refusal.Refusal),
        ReasoningPart reasoning => Text(reasoning.Text),
        ToolCallPart call => Text(call.Name) + Text(call.Arguments),
        ToolResultPart result => result.Content.Sum(Part),
        ImagePart => ImageTokens,
        FilePart file => (file.Data?.Length ?? 0) / 6 + Text(file.FileName),
        RawPart raw => Text(raw.Json.GetRawText()),
        _ => 0,
    };
}
