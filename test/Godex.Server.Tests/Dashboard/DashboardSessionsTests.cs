using Godex.Server.Dashboard;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Dashboard;

/// <summary>The dashboard's login sessions: the admin key alone opens one; each has its own CSRF token and an end.</summary>
public sealed class DashboardSessionsTests
{
    private const string AdminKey = "admin-key-for-session-tests";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("admin-key-for-session-test")]
    [InlineData("admin-key-for-session-tests ")]
    [InlineData("ADMIN-KEY-FOR-SESSION-TESTS")]
    public void Login_WithAnythingButTheAdminKey_OpensNoSession(string? presented)
    {
        var sessions = new DashboardSessions(TimeProvider.System);

        Assert.Null(sessions.Login(presented, AdminKey));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Login_WithoutAConfiguredAdminKey_OpensNoSession(string? adminKey)
    {
        var sessions = new DashboardSessions(TimeProvider.System);

        Assert.Null(sessions.Login("", adminKey));
        Assert.Null(sessions.Login("anything", adminKey));
    }

    [Fact]
    public void Login_WithTheAdminKey_OpensASessionWithItsOwnRandomIdAndCsrfToken()
    {
        var sessions = new DashboardSessions(TimeProvider.System);

        DashboardSession first = Assert.IsType<DashboardSession>(sessions.Login(AdminKey, AdminKey));
        DashboardSession second = Assert.IsType<DashboardSession>(sessions.Login(AdminKey, AdminKey));

        Assert.NotEqual(first.Id, second.Id);
        Assert.NotEqual(first.CsrfToken, second.CsrfToken);
        Assert.NotEqual(first.Id, first.CsrfToken);
        Assert.True(first.Id.Length >= 43, "256 bits, base64url");
        Assert.DoesNotContain(AdminKey, first.Id + first.CsrfToken, StringComparison.Ordinal);
        Assert.Same(first, sessions.Find(first.Id));
        Assert.Null(sessions.Find("not-a-session"));
        Assert.Null(sessions.Find(null));
    }

    [Fact]
    public void Find_AfterTheLifetime_ForgetsTheSession()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sessions = new DashboardSessions(time);
        DashboardSession session = sessions.Login(AdminKey, AdminKey)!;

        time.Advance(DashboardSessions.Lifetime - TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Find(session.Id));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Find(session.Id));
    }

    [Fact]
    public void Logout_EndsOnlyThatSession()
    {
        var sessions = new DashboardSessions(TimeProvider.System);
        DashboardSession a = sessions.Login(AdminKey, AdminKey)!;
        DashboardSession b = sessions.Login(AdminKey, AdminKey)!;

        sessions.Logout(a.Id);

        Assert.Null(sessions.Find(a.Id));
        Assert.NotNull(sessions.Find(b.Id));
    }

    [Fact]
    public void Login_BeyondTheLimit_DropsTheOldestSession()
    {
        var time = new FakeTimeProvider();
        var sessions = new DashboardSessions(time);
        DashboardSession oldest = sessions.Login(AdminKey, AdminKey)!;
        for (int i = 1; i < DashboardSessions.MaxSessions; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.NotNull(sessions.Login(AdminKey, AdminKey));
        }

        Assert.NotNull(sessions.Find(oldest.Id));
        time.Advance(TimeSpan.FromSeconds(1));
        DashboardSession newest = sessions.Login(AdminKey, AdminKey)!;

        Assert.Null(sessions.Find(oldest.Id));
        Assert.NotNull(sessions.Find(newest.Id));
    }

    [Fact]
    public void CsrfMatches_OnlyTheSessionsOwnToken()
    {
        var sessions = new DashboardSessions(TimeProvider.System);
        DashboardSession a = sessions.Login(AdminKey, AdminKey)!;
        DashboardSession b = sessions.Login(AdminKey, AdminKey)!;

        Assert.True(DashboardSessions.CsrfMatches(a, a.CsrfToken));
        Assert.False(DashboardSessions.CsrfMatches(a, b.CsrfToken));
        Assert.False(DashboardSessions.CsrfMatches(a, a.Id));
        Assert.False(DashboardSessions.CsrfMatches(a, ""));
        Assert.False(DashboardSessions.CsrfMatches(a, null));
    }
}
