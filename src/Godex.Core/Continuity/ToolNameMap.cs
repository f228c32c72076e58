using System.Security.Cryptography;
using System.Text;
using Godex.Core.Conversation;

namespace Godex.Core.Continuity;

/// <summary>
/// Tool names longer than both upstreams take (64 characters: Anthropic's "tools.N.custom.name: String should have
/// at most 64 characters", OpenAI's "string too long. Expected a string with maximum length 64") are shortened for the
/// upstream and restored in the answer. A shortened name is the first 55 characters, <c>_</c> and 8 hex digits of the
/// SHA-256 of the whole name: the same on every turn (so a conversation's history keeps matching its tools) and
/// distinct for distinct names; should two still meet in one request, more digits are used.
/// </summary>
public sealed class ToolNameMap
{
    /// <summary>The longest tool name both upstreams accept.</summary>
    public const int MaxLength = 64;

    private readonly Dictionary<string, string> _short = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _original = new(StringComparer.Ordinal);

    // The map of nearly every request: no name to shorten (immutable: only For adds, and only to a new map).
    private static readonly ToolNameMap s_empty = new();

    private ToolNameMap()
    {
    }

    /// <summary>True when the request had no name to shorten.</summary>
    public bool IsEmpty => _short.Count == 0;

    /// <summary>The map for <paramref name="request"/>'s tools, tool choice and earlier tool calls.</summary>
    public static ToolNameMap For(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HasLongName(request))
        {
            return s_empty;
        }

        var map = new ToolNameMap();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ChatTool tool in request.Tools)
        {
            names.Add(tool.Name);
        }

        foreach (ChatMessage message in request.Messages)
        {
            foreach (ContentPart part in message.Parts)
            {
                if (part is ToolCallPart call)
                {
                    names.Add(call.Name);
                }
            }
        }

        if (request.ToolChoice?.Name is { } chosen)
        {
            names.Add(chosen);
        }

        foreach (string name in names.Where(n => n.Length > MaxLength).Order(StringComparer.Ordinal))
        {
            map.Add(name, names);
        }

        return map;
    }

    private static bool HasLongName(ChatRequest request)
    {
        foreach (ChatTool tool in request.Tools)
        {
            if (tool.Name.Length > MaxLength)
            {
                return true;
            }
        }

        foreach (ChatMessage message in request.Messages)
        {
            foreach (ContentPart part in message.Parts)
            {
                if (part is ToolCallPart { Name.Length: > MaxLength })
                {
                    return true;
                }
            }
        }

        return request.ToolChoice?.Name is { Length: > MaxLength };
    }

    /// <summary>The request as the upstream gets it: every long name replaced by its short form.</summary>
    public ChatRequest Shorten(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsEmpty)
        {
            return request;
        }

        return request with
        {
            Tools = [.. request.Tools.Select(t => _short.TryGetValue(t.Name, out string? s) ? t with { Name = s } : t)],
            ToolChoice = request.ToolChoice is { Name: { } chosen } choice && _short.TryGetValue(chosen, out string? shortChoice)
                ? choice with { Name = shortChoice }
                : request.ToolChoice,
            Messages = [.. request.Messages.Select(m => m.Parts.Any(p => p is ToolCallPart c && _short.ContainsKey(c.Name))
                ? m with { Parts = [.. m.Parts.Select(p => p is ToolCallPart c && _short.TryGetValue(c.Name, out string? s) ? c with { Name = s } : p)] }
                : m)],
        };
    }

    /// <summary>An upstream event with the client's tool names back.</summary>
    public StreamEvent Restore(StreamEvent streamEvent) => streamEvent switch
    {
        _ when IsEmpty => streamEvent,
        ToolCallStartedEvent started when _original.TryGetValue(started.Name, out string? name) => started with { Name = name },
        ToolCallCompletedEvent { Call: var call } completed when _original.TryGetValue(call.Name, out string? name) => completed with { Call = call with { Name = name } },
        _ => streamEvent,
    };

    /// <summary>The short form of one name (55 characters, <c>_</c>, <paramref name="digits"/> hex digits of its hash).</summary>
    public static string ShortName(string name, int digits = 8)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length <= MaxLength)
        {
            return name;
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..digits];
        return name[..(MaxLength - 1 - digits)] + "_" + hash;
    }

    private void Add(string name, HashSet<string> taken)
    {
        foreach (int digits in (ReadOnlySpan<int>)[8, 16, 32])
        {
            string candidate = ShortName(name, digits);
            if (!taken.Contains(candidate) && !_original.ContainsKey(candidate))
            {
                _short[name] = candidate;
                _original[candidate] = name;
                return;
            }
        }

        throw new InvalidOperationException("tool names collide after shortening even with 32 hash digits");
    }
}
