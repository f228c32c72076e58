namespace Godex.Cli.Commands;

/// <summary>The exit codes every command follows.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>A runtime failure (bad config, upstream unreachable at startup, ...).</summary>
    public const int Failure = 1;

    /// <summary>Wrong usage (unknown flag, missing argument, bad value).</summary>
    public const int Usage = 2;
}
