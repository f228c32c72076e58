using Microsoft.AspNetCore.Http;

namespace Godex.Simulator;

/// <summary>
/// Runs before each streamed delta: waits the token delay, and for <c>[sim:cut]</c> aborts the connection once a few
/// deltas are out, so clients see a stream that dies mid-way without a terminal event.
/// </summary>
internal sealed class SimulatorPacer
{
    private const int CutAfterDeltas = 3;

    // Abort resets the socket, and a reset discards whatever the client has not read yet: give it a moment to read
    // the deltas already sent, so it sees "some output, then a broken stream" rather than a failed request.
    private static readonly TimeSpan s_drainBeforeCut = TimeSpan.FromMilliseconds(150);

    private readonly HttpContext _context;
    private readonly TimeSpan _delay;
    private readonly bool _cut;
    private readonly TimeProvider _timeProvider;
    private int _deltas;

    public SimulatorPacer(HttpContext context, SimulatorState state, SimulatorFault fault)
    {
        _context = context;
        _delay = fault.SlowMilliseconds is int ms ? TimeSpan.FromMilliseconds(ms) : state.Options.TokenDelay;
        _cut = fault.Cut;
        _timeProvider = state.TimeProvider;
    }

    /// <summary>Returns false when the connection was aborted and the caller must stop writing.</summary>
    public async ValueTask<bool> NextDeltaAsync(CancellationToken cancellationToken)
    {
        if (_cut && ++_deltas > CutAfterDeltas)
        {
            await CutAsync(cancellationToken);
            return false;
        }

        if (_delay > TimeSpan.Zero)
        {
            await Task.Delay(_delay, _timeProvider, cancellationToken);
        }

        return true;
    }

    /// <summary>For streams that end before <see cref="CutAfterDeltas"/> deltas: abort before the terminal event instead.</summary>
    public async ValueTask<bool> CutBeforeEndAsync(CancellationToken cancellationToken)
    {
        if (_cut)
        {
            await CutAsync(cancellationToken);
        }

        return _cut;
    }

    private async Task CutAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(s_drainBeforeCut, TimeProvider.System, cancellationToken);
        _context.Abort();
    }
}
