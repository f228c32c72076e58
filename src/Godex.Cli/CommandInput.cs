using System.CommandLine;

namespace Godex.Cli;

/// <summary>
/// An <see cref="InvocationConfiguration"/> that also says where a command reads what the user types (System.CommandLine
/// carries only the output writers), so a test can paste a login code as a user would on stdin.
/// </summary>
internal sealed class CommandInput : InvocationConfiguration
{
    /// <summary>What the user types. <value>The default value is <see cref="Console.In"/>.</value></summary>
    public TextReader Input { get; init; } = Console.In;

    /// <summary>The reader for <paramref name="parse"/>: the configuration's when it is a <see cref="CommandInput"/>, else stdin.</summary>
    public static TextReader For(ParseResult parse) => parse.InvocationConfiguration is CommandInput { Input: var input } ? input : Console.In;
}
