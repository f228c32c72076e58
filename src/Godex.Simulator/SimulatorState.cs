using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Godex.Simulator;

/// <summary>
/// What the simulator remembers between requests: calls per route (so tests can assert "refresh was called exactly
/// once"), prompts that already failed once, and the id counter that keeps ids deterministic. Thread-safe.
/// </summary>
internal sealed class SimulatorState
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _failedOnce = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _bodies = new();
    private readonly ConcurrentDictionary<string, QuotaState> _quotas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _bearers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SimulatorAuthorizationCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _quotaRefusals = new(StringComparer.Ordinal);
    private long _nextId;

    public SimulatorState(SimulatorOptions options)
    {
        Options = options;
        DefaultFault = options.DefaultFault is null ? SimulatorFault.None : SimulatorFault.Parse(options.DefaultFault, out _);
        foreach (SimulatorAccount account in options.Accounts)
        {
            _quotas[account.Key] = new QuotaState(account.Quota, Math.Min(account.Used, account.Quota), options.TimeProvider.GetUtcNow());
        }
    }

    public SimulatorOptions Options { get; }

    public SimulatorFault DefaultFault { get; }

    public TimeProvider TimeProvider => Options.TimeProvider;

    /// <summary>How many requests reached <paramref name="path"/> (e.g. <c>/oauth/token</c>), failed ones included.</summary>
    public int CallCount(string path) => _calls.GetValueOrDefault(path);

    public int TotalCalls => _calls.Values.Sum();

    /// <summary>The request bodies the Codex and Anthropic endpoints received, in arrival order (exec's --log-requests test).</summary>
    public IReadOnlyList<(string Path, byte[] Body)> Bodies => [.. _bodies];

    public void RecordBody(string path, byte[] body) => _bodies.Enqueue((path, body));

    public void CountCall(string path) => _calls.AddOrUpdate(path, 1, static (_, count) => count + 1);

    /// <summary>
    /// The faults for one request: the prompt's directives, else <see cref="DefaultFault"/>. <paramref name="status"/>
    /// is the HTTP status to fail with now, if any; <c>fail-once</c> yields it only the first time this route sees
    /// this exact prompt.
    /// </summary>
    public SimulatorFault ResolveFault(string path, string prompt, out string cleanedPrompt, out int? status)
    {
        SimulatorFault fault = SimulatorFault.Parse(prompt, out cleanedPrompt);
        if (fault.IsNone)
        {
            fault = DefaultFault;
        }

        status = fault.Status;
        if (status is null && fault.FailOnceStatus is int once && _failedOnce.TryAdd(path + "\n" + prompt, 0))
        {
            status = once;
        }

        return fault;
    }

    /// <summary>True the first time this route sees this prompt with <c>[sim:overload-once]</c>.</summary>
    public bool OverloadNow(string path, string prompt, SimulatorFault fault) =>
        fault.OverloadOnce && _failedOnce.TryAdd("overload\n" + path + "\n" + prompt, 0);

    /// <summary>
    /// Counts one request against <paramref name="key"/>'s quota (<see cref="SimulatorOptions.Accounts"/>); null for a
    /// key without one. The window starts again <see cref="SimulatorOptions.QuotaWindow"/> after it began.
    /// </summary>
    public SimulatorQuota? Consume(string? key)
    {
        if (key is null || !_quotas.TryGetValue(key, out QuotaState? quota))
        {
            return null;
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        lock (quota)
        {
            if (now >= quota.WindowStart + Options.QuotaWindow)
            {
                quota.WindowStart = now;
                quota.Used = 0;
            }

            bool allowed = quota.Used < quota.Limit;
            if (allowed)
            {
                quota.Used++;
            }
            else
            {
                _quotaRefusals.AddOrUpdate(key, 1, static (_, count) => count + 1);
            }

            return new SimulatorQuota(allowed, quota.Limit == 0 ? 100 : Math.Min(100, quota.Used * 100.0 / quota.Limit), quota.WindowStart + Options.QuotaWindow, Options.QuotaWindow, now);
        }
    }

    /// <summary>How many requests with <paramref name="key"/> were refused because its quota was spent.</summary>
    public int QuotaRefusals(string key) => _quotaRefusals.GetValueOrDefault(key);

    /// <summary>Remembers an authorization code and what it was issued for.</summary>
    public void AddAuthorizationCode(string code, SimulatorAuthorizationCode grant) => _codes[code] = grant;

    /// <summary>
    /// Redeems <paramref name="code"/> (once, whatever the outcome, as a real server burns a code that was tried):
    /// null when it was issued to <paramref name="clientId"/> for <paramref name="redirectUri"/> and
    /// <paramref name="verifier"/> hashes (S256) to its challenge, else why not.
    /// </summary>
    public string? RedeemAuthorizationCode(string code, string verifier, string redirectUri, string clientId)
    {
        if (!_codes.TryRemove(code, out SimulatorAuthorizationCode? grant))
        {
            return "the authorization code is unknown or was already used";
        }

        if (!string.Equals(grant.ClientId, clientId, StringComparison.Ordinal))
        {
            return "client_id is not the one the code was issued to";
        }

        if (!string.Equals(grant.RedirectUri, redirectUri, StringComparison.Ordinal))
        {
            return "redirect_uri is not the one given to authorize";
        }

        string computed = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return string.Equals(computed, grant.Challenge, StringComparison.Ordinal) ? null : "code_verifier does not match the code_challenge";
    }

    /// <summary>The device logins started and not yet redeemed or expired, by <c>device_auth_id</c>.</summary>
    public ConcurrentDictionary<string, SimulatorDeviceAuthorization> DeviceAuthorizations { get; } = new(StringComparer.Ordinal);

    /// <summary>The last <c>Authorization</c> bearer a route received (the X-Provider-Key test reads it).</summary>
    public string? LastBearer(string path) => _bearers.GetValueOrDefault(path);

    public void RecordBearer(string path, string? bearer)
    {
        if (bearer is not null)
        {
            _bearers[path] = bearer;
        }
    }

    /// <summary>A fresh id such as <c>resp_3f2a…</c>: hex of a hash of a counter, so the same sequence of requests gets the same ids.</summary>
    public string NextId(string prefix, int hexLength = 40)
    {
        long id = Interlocked.Increment(ref _nextId);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(prefix + id.ToString(CultureInfo.InvariantCulture)));
        return prefix + Convert.ToHexStringLower(hash)[..Math.Min(hexLength, 64)];
    }

    public long UnixNow => TimeProvider.GetUtcNow().ToUnixTimeSeconds();

    private sealed class QuotaState(int limit, int used, DateTimeOffset windowStart)
    {
        public int Limit { get; } = limit;

        public int Used { get; set; } = used;

        public DateTimeOffset WindowStart { get; set; } = windowStart;
    }
}
