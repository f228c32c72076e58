using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Messages;
using Godex.Core.Dialects.Responses;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.FrontDoors;

/// <summary>
/// What sets one front door apart in the handling they share (<see cref="FrontDoorHandling"/>,
/// <see cref="FrontDoorResponder"/>, <see cref="FrontDoorRelay"/>): its dialect, its error shape, its relay rules and
/// whether its streams need keep-alives.
/// </summary>
internal sealed class FrontDoor
{
    private readonly Func<HttpContext, BackendError, Task> _writeError;

    private FrontDoor(string name, WireDialect dialect, Func<HttpContext, BackendError, Task> writeError, IRelayRules? relayRules, TimeSpan? keepAliveInterval)
    {
        Name = name;
        Dialect = dialect;
        _writeError = writeError;
        RelayRules = relayRules;
        KeepAliveInterval = keepAliveInterval;
    }

    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    public static FrontDoor ChatCompletions { get; } = new("chat", WireDialect.ChatCompletions, ErrorResponses.WriteOpenAIAsync, ChatCompletionsRelayRules.Instance, null);

    /// <summary><c>POST /v1/responses</c>.</summary>
    public static FrontDoor Responses { get; } = new("responses", WireDialect.Responses, ErrorResponses.WriteOpenAIAsync, ResponsesRelayRules.Instance, null);

    /// <summary>
    /// <c>POST /v1/messages</c> and <c>count_tokens</c>. Claude Code and the Anthropic SDKs expect <c>ping</c> events in a
    /// long silence (as the API sends them every ~15 s), and proxies in between close idle connections.
    /// </summary>
    public static FrontDoor Messages { get; } = new("messages", WireDialect.Messages, ErrorResponses.WriteAnthropicAsync, MessagesRelayRules.Instance, TimeSpan.FromSeconds(15));

    /// <summary>The name in logs.</summary>
    public string Name { get; }

    /// <summary>The dialect its clients speak.</summary>
    public WireDialect Dialect { get; }

    /// <summary>How a same-dialect answer is relayed; null when no backend can take this dialect as it is.</summary>
    public IRelayRules? RelayRules { get; }

    /// <summary>How long a translated stream may stay silent before a keep-alive is sent; null for none. Settable for tests.</summary>
    public TimeSpan? KeepAliveInterval { get; internal set; }

    /// <summary>Answers with <paramref name="error"/> in the door's dialect (before anything was sent).</summary>
    public Task WriteErrorAsync(HttpContext context, BackendError error) => _writeError(context, error);
}
