namespace Godex.Simulator;

/// <summary>
/// One device login of the simulated OpenAI auth server: the code the user types on the verification page, whether they
/// approved it, and when the client last polled (to refuse polls faster than the interval). Mutable under its own lock.
/// </summary>
internal sealed class SimulatorDeviceAuthorization(string deviceAuthId, string userCode, string clientId, DateTimeOffset issuedAt)
{
    public string DeviceAuthId { get; } = deviceAuthId;

    public string UserCode { get; } = userCode;

    public string ClientId { get; } = clientId;

    public DateTimeOffset IssuedAt { get; } = issuedAt;

    public bool Approved { get; set; }

    public DateTimeOffset? LastPoll { get; set; }

    /// <summary>How many polls were answered "still pending".</summary>
    public int PendingPolls { get; set; }

    /// <summary>How many polls came sooner than the interval and were refused with 429.</summary>
    public int TooFastPolls { get; set; }
}
