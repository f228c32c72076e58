using Godex.Core.Limits;

namespace Godex.Core.Tests.Limits;

public sealed class InputLimitsTests
{
    [Fact]
    public void ForLog_KeepsShortValues_CutsLongOnesAndSaysHowLong()
    {
        Assert.Equal("gpt-5.2-codex", InputLimits.ForLog("gpt-5.2-codex"));
        Assert.Equal("", InputLimits.ForLog(null));

        string logged = InputLimits.ForLog(new string('x', 1_000_000));
        Assert.Equal(new string('x', InputLimits.MaxLoggedLength) + "…(1000000 chars)", logged);
    }

    [Fact]
    public void ForLog_NeverSplitsASurrogatePair()
    {
        string value = new string('a', InputLimits.MaxLoggedLength - 1) + "😀" + new string('b', 10);
        string logged = InputLimits.ForLog(value);
        Assert.False(char.IsHighSurrogate(logged[InputLimits.MaxLoggedLength - 2]) && !char.IsLowSurrogate(logged[InputLimits.MaxLoggedLength - 1]));
        Assert.StartsWith(new string('a', InputLimits.MaxLoggedLength - 1) + "…", logged, StringComparison.Ordinal);
    }
}
