using System.Globalization;
using System.Text.RegularExpressions;

namespace Godex.Simulator;

/// <summary>
/// Faults asked for by <c>[sim:...]</c> directives in the last user text: <c>[sim:429]</c>, <c>[sim:500]</c>,
/// <c>[sim:529]</c>, <c>[sim:cut]</c>, <c>[sim:slow=N]</c>, <c>[sim:length]</c>, <c>[sim:refusal]</c>,
/// <c>[sim:fail-once=STATUS]</c>, <c>[sim:overload-once]</c> (the first request with this prompt gets a 200 stream that is
/// overloaded before any content; Codex only). Unknown directives are stripped and ignored.
/// </summary>
internal sealed partial record SimulatorFault
{
    public static SimulatorFault None { get; } = new();

    /// <summary>Answer every request with this HTTP status instead of a completion.</summary>
    public int? Status { get; init; }

    /// <summary>Answer the first request with this prompt with this status; later ones succeed.</summary>
    public int? FailOnceStatus { get; init; }

    /// <summary>Abort the connection after a few deltas, without a terminal event.</summary>
    public bool Cut { get; init; }

    /// <summary>Stop early as if the output token limit was hit.</summary>
    public bool Length { get; init; }

    public bool Refusal { get; init; }

    public int? SlowMilliseconds { get; init; }

    /// <summary>The first request with this prompt gets an in-band overload before any content.</summary>
    public bool OverloadOnce { get; init; }

    public bool IsNone => this == None;

    /// <summary>Reads the directives in <paramref name="text"/> and returns the text without them.</summary>
    public static SimulatorFault Parse(string text, out string cleaned)
    {
        SimulatorFault fault = None;
        foreach (Match match in DirectivePattern().Matches(text))
        {
            string name = match.Groups["name"].Value;
            int? value = match.Groups["value"].Success && int.TryParse(match.Groups["value"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
                ? parsed
                : null;
            fault = name switch
            {
                "cut" => fault with { Cut = true },
                "length" => fault with { Length = true },
                "refusal" => fault with { Refusal = true },
                "slow" => fault with { SlowMilliseconds = value ?? 100 },
                "fail-once" => fault with { FailOnceStatus = value ?? 429 },
                "overload-once" => fault with { OverloadOnce = true },
                _ when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int status) && status is >= 400 and <= 599 => fault with { Status = status },
                _ => fault,
            };
        }

        cleaned = DirectivePattern().Replace(text, string.Empty).Trim();
        return fault;
    }

    [GeneratedRegex(@"\[sim:(?<name>[a-z0-9-]+)(?:=(?<value>\d+))?\]", RegexOptions.CultureInvariant)]
    private static partial Regex DirectivePattern();
}
