using System.Text.Json;

namespace Godex.Core.Conversation;

/// <summary>One typed piece of a <see cref="ChatMessage"/>.</summary>
public abstract record ContentPart;

/// <summary>Plain text.</summary>
public sealed record TextPart(string Text) : ContentPart;

/// <summary>
/// An image, either by URL (<c>https:</c> or a <c>data:</c> URL) or as base64 <see cref="Data"/> with a media type.
/// </summary>
public sealed record ImagePart : ContentPart
{
    /// <summary>An http(s) URL or a <c>data:</c> URL, as the client sent it.</summary>
    public string? Url { get; init; }

    /// <summary>Base64 bytes, when the image came as data rather than a URL.</summary>
    public string? Data { get; init; }

    public string? MediaType { get; init; }

    /// <summary>OpenAI's <c>detail</c> hint (low, high, auto), kept where the upstream takes it.</summary>
    public string? Detail { get; init; }

    /// <summary>Splits a <c>data:image/png;base64,...</c> URL into media type and data; false for other URLs.</summary>
    public bool TryGetInlineData(out string mediaType, out string data)
    {
        mediaType = MediaType ?? "application/octet-stream";
        data = Data ?? "";
        if (Data is not null)
        {
            return true;
        }

        if (Url is null || !Url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        int comma = Url.IndexOf(',', StringComparison.Ordinal);
        int semicolon = Url.IndexOf(";base64", StringComparison.OrdinalIgnoreCase);
        if (comma < 0 || semicolon < 0 || semicolon > comma)
        {
            return false;
        }

        mediaType = Url[5..semicolon];
        data = Url[(comma + 1)..];
        return true;
    }
}

/// <summary>The kind of tool a <see cref="ToolCallPart"/> calls.</summary>
public enum ToolCallKind
{
    /// <summary>A JSON-schema function tool; arguments are a JSON object text.</summary>
    Function,

    /// <summary>A freeform (custom/grammar) tool; the input is raw text.</summary>
    Custom,
}

/// <summary>A call the assistant made to a tool.</summary>
public sealed record ToolCallPart(string CallId, string Name, string Arguments) : ContentPart
{
    public ToolCallKind Kind { get; init; } = ToolCallKind.Function;

    /// <summary>The upstream item id (Responses <c>fc_...</c>), when it differs from the call id.</summary>
    public string? ItemId { get; init; }
}

/// <summary>The result of a tool call, sent back by the client.</summary>
public sealed record ToolResultPart(string CallId) : ContentPart
{
    /// <summary>The result as text and/or images. A plain string result is a single <see cref="TextPart"/>.</summary>
    public IReadOnlyList<ContentPart> Content { get; init; } = [];

    public bool IsError { get; init; }

    public ToolCallKind Kind { get; init; } = ToolCallKind.Function;

    /// <summary>All text parts joined, for upstreams that take a string result.</summary>
    public string Text => ContentText.Join(Content);
}

/// <summary>
/// Model reasoning (Anthropic thinking, Responses reasoning). The opaque parts (<see cref="Signature"/>,
/// <see cref="EncryptedContent"/>, <see cref="RedactedData"/>) must reach the same upstream again unchanged.
/// </summary>
public sealed record ReasoningPart : ContentPart
{
    /// <summary>Visible reasoning text (thinking, or the reasoning summary with its parts joined by a blank line).</summary>
    public string Text { get; init; } = "";

    /// <summary>
    /// The parts of a Responses reasoning summary, in order, when the upstream split it into several; empty when
    /// <see cref="Text"/> is one piece. A Responses client gets them back as separate <c>summary_text</c> parts.
    /// </summary>
    public IReadOnlyList<string> SummaryParts { get; init; } = [];

    /// <summary>The summary as its parts: <see cref="SummaryParts"/>, else <see cref="Text"/> alone (nothing when empty).</summary>
    public IReadOnlyList<string> SummaryOrText => SummaryParts.Count > 0 ? SummaryParts : Text.Length > 0 ? [Text] : [];

    /// <summary>Anthropic's thinking signature.</summary>
    public string? Signature { get; init; }

    /// <summary>Responses <c>encrypted_content</c>.</summary>
    public string? EncryptedContent { get; init; }

    /// <summary>Anthropic <c>redacted_thinking.data</c>.</summary>
    public string? RedactedData { get; init; }

    /// <summary>The upstream reasoning item id (Responses <c>rs_...</c>).</summary>
    public string? ItemId { get; init; }
}

/// <summary>A refusal from the model (OpenAI <c>refusal</c>).</summary>
public sealed record RefusalPart(string Refusal) : ContentPart;

/// <summary>A file or document (Anthropic <c>document</c>, Responses <c>input_file</c>).</summary>
public sealed record FilePart : ContentPart
{
    public string? FileName { get; init; }
    public string? MediaType { get; init; }
    public string? Data { get; init; }
    public string? Url { get; init; }
    public string? FileId { get; init; }
}

/// <summary>A content shape godex does not model, kept as raw JSON so that same-dialect upstreams still get it.</summary>
public sealed record RawPart(string Dialect, JsonElement Json) : ContentPart;

internal static class ContentText
{
    public static string Join(IReadOnlyList<ContentPart> parts)
    {
        if (parts.Count == 1 && parts[0] is TextPart single)
        {
            return single.Text;
        }

        var builder = new System.Text.StringBuilder();
        foreach (ContentPart part in parts)
        {
            if (part is TextPart text)
            {
                builder.Append(text.Text);
            }
        }

        return builder.ToString();
    }
}
