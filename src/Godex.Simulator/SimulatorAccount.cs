namespace Godex.Simulator;

/// <summary>A simulated account: the key it authenticates with, its request quota per window, and how much of it is spent at start.</summary>
/// <param name="Key">The bearer token (Codex, OpenAI) or API key (Anthropic).</param>
/// <param name="Quota">Requests allowed per window.</param>
/// <param name="Used">Requests already counted when the simulator starts (95 of 100 reports 95 %).</param>
internal sealed record SimulatorAccount(string Key, int Quota, int Used = 0)
{
    /// <summary>Parses <c>KEY=QUOTA</c> or <c>KEY=QUOTA:USED</c> (the <c>godex simulate --account</c> form).</summary>
    public static SimulatorAccount Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int equals = spec.LastIndexOf('=');
        string[] numbers = equals < 1 ? [] : spec[(equals + 1)..].Split(':');
        if (numbers.Length is < 1 or > 2
            || !int.TryParse(numbers[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int quota)
            || (numbers.Length == 2 && !int.TryParse(numbers[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"expected KEY=QUOTA or KEY=QUOTA:USED, got '{spec}'");
        }

        int used = numbers.Length == 2 ? int.Parse(numbers[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return new SimulatorAccount(spec[..equals], quota, used);
    }
}
