using System.Net;
using Godex.Core.Configuration;
using Godex.Core.Keys;
using Godex.Core.State;
using Godex.Server.Hosting;
using Godex.Server.Tests.Chat;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Hosting;

/// <summary>
/// A listen address beyond loopback needs a client key, and keys stored in the database are enough (no static,
/// unlimited <c>--api-key</c> needed). Checked without binding a public address: the decision itself, and the
/// middleware's behaviour for such a listen on a loopback test server.
/// </summary>
public sealed class PublicListenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-listen-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GodexOptions Public(Action<ProxyOptions>? configure = null)
    {
        var options = new GodexOptions { Proxy = { Listen = "0.0.0.0:39001" } };
        configure?.Invoke(options.Proxy);
        return options;
    }

    private Task<GodexState> OpenStateAsync() => GodexState.OpenAsync(Path.Combine(_dir, "godex.db"), TimeProvider.System, Ct);

    [Fact]
    public async Task NoKeyAnywhere_Refuses_NamingTheWaysOut()
    {
        await using GodexState state = await OpenStateAsync();
        var ex = await Assert.ThrowsAsync<GodexStartupException>(() => GodexApp.EnsureListenIsGuardedAsync(Public(), state, TimeProvider.System, Ct));

        Assert.Contains("--api-key", ex.Message, StringComparison.Ordinal);
        Assert.Contains("godex proxy keys add", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--allow-any-key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnActiveStoredKey_IsEnough()
    {
        await using GodexState state = await OpenStateAsync();
        await state.Keys.CreateAsync(new NewClientKey { Label = "team" }, Ct);

        await GodexApp.EnsureListenIsGuardedAsync(Public(), state, TimeProvider.System, Ct);
    }

    [Fact]
    public async Task OnlyRevokedOrExpiredKeys_Refuse()
    {
        await using GodexState state = await OpenStateAsync();
        IKeyStore store = state.Keys;
        IssuedClientKey revoked = await store.CreateAsync(new NewClientKey { Label = "old" }, Ct);
        await store.RevokeAsync(revoked.Key.Id, Ct);
        await store.CreateAsync(new NewClientKey { Label = "gone", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, Ct);

        await Assert.ThrowsAsync<GodexStartupException>(() => GodexApp.EnsureListenIsGuardedAsync(Public(), state, TimeProvider.System, Ct));
    }

    [Theory]
    [InlineData("127.0.0.1:39001", null, false)]
    [InlineData("0.0.0.0:39001", "static-key", false)]
    [InlineData("0.0.0.0:39001", null, true)]
    public async Task Loopback_StaticKey_OrAllowAnyKey_AreAllowedWithoutStoredKeys(string listen, string? apiKey, bool allowAny) =>
        await GodexApp.EnsureListenIsGuardedAsync(Public(p => { p.Listen = listen; p.ApiKey = apiKey; p.AllowAnyKey = allowAny; }), null, TimeProvider.System, Ct);

    [Fact]
    public async Task PublicListen_RequiresAKey_EvenWhenTheStoreHasNone()
    {
        var backend = new FakeChatBackend("codex");
        await using KestrelTestHost host = await ChatTestServer.StartAsync(backend, o => o.Proxy.Listen = "0.0.0.0:39001");

        using HttpResponseMessage response = await host.Client.GetAsync("v1/models", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
