namespace Godex.Simulator;

/// <summary>A 400 the Codex backend answers: its own <c>{"detail"}</c> body, or the OpenAI error object.</summary>
internal sealed record SimulatorRejection(string Message, string? Param, string? Code, bool IsDetail)
{
    public static SimulatorRejection Detail(string message) => new(message, null, null, IsDetail: true);

    public static SimulatorRejection OpenAI(string message, string? param, string? code) => new(message, param, code, IsDetail: false);
}
