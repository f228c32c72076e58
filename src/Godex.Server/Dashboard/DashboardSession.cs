namespace Godex.Server.Dashboard;

/// <summary>One login to the dashboard: its cookie value, the token its mutating calls must echo, and its end.</summary>
internal sealed record DashboardSession(string Id, string CsrfToken, DateTimeOffset ExpiresAt);
