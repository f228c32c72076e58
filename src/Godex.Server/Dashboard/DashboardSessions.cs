using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Godex.Core.Keys;

namespace Godex.Server.Dashboard;

/// <summary>
/// The dashboard's logins, in memory: a random session id (the cookie) → its CSRF token and expiry. The admin key is
/// compared in constant time and never stored; a restart logs everyone out. Bounded: at most
/// <see cref="MaxSessions"/> live sessions, the oldest dropped first.
/// </summary>
internal sealed class DashboardSessions(TimeProvider time)
{
    /// <summary>How long a session lives after its login, active or not.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    public const int MaxSessions = 256;

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Wrong keys per client address (docs/dashboard.md#security): the login form answers 429 past its limit.</summary>
    public DashboardLoginThrottle Throttle { get; } = new(time);

    /// <summary>A new session when <paramref name="presented"/> is the admin key, else null.</summary>
    public DashboardSession? Login(string? presented, string? adminKey)
    {
        if (string.IsNullOrEmpty(adminKey) || string.IsNullOrEmpty(presented) || !KeySecrets.SecretEquals(presented, adminKey))
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        Prune(now);
        var session = new DashboardSession(NewToken(), NewToken(), now + Lifetime);
        _sessions[session.Id] = session;
        return session;
    }

    /// <summary>The live session of a cookie value, else null (expired sessions are forgotten here).</summary>
    public DashboardSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out DashboardSession? session))
        {
            return null;
        }

        if (session.ExpiresAt <= time.GetUtcNow())
        {
            _sessions.TryRemove(id, out _);
            return null;
        }

        return session;
    }

    public void Logout(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _sessions.TryRemove(id, out _);
        }
    }

    /// <summary>True when <paramref name="presented"/> is the session's CSRF token (constant time).</summary>
    public static bool CsrfMatches(DashboardSession session, string? presented) =>
        !string.IsNullOrEmpty(presented) && KeySecrets.SecretEquals(presented, session.CsrfToken);

    private void Prune(DateTimeOffset now)
    {
        foreach ((string id, DashboardSession session) in _sessions)
        {
            if (session.ExpiresAt <= now)
            {
                _sessions.TryRemove(id, out _);
            }
        }

        if (_sessions.Count >= MaxSessions)
        {
            foreach (DashboardSession oldest in _sessions.Values.OrderBy(s => s.ExpiresAt).Take(_sessions.Count - MaxSessions + 1))
            {
                _sessions.TryRemove(oldest.Id, out _);
            }
        }
    }

    /// <summary>256 random bits, URL-safe.</summary>
    private static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
