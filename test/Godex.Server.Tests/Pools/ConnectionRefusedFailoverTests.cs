using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Codex;
using Godex.Core.Backends.Pools;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Simulator;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Server.Tests.Pools;

/// <summary>
/// Failover on a connection failure, with real sockets: two Codex accounts, the first one's requests go to a
/// 127.0.0.1 port nobody listens on (connection refused), the second one's to the simulator. The pooled send answers
/// from the second account, the first cools down.
/// </summary>
public sealed class ConnectionRefusedFailoverTests
{
    [Fact]
    public async Task ConnectionRefusedOnOneAccount_TheNextAccountServes_TheFirstCoolsDown()
    {
        await using SimulatorHost simulator = await SimulatorHost.StartAsync(
            new SimulatorOptions { Accounts = [new SimulatorAccount("key-a", 1000), new SimulatorAccount("key-b", 1000)] }, TestContext.Current.CancellationToken);
        string logins = Path.Combine(Path.GetTempPath(), "godex-refused-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(logins);
        try
        {
            var options = new CodexBackendOptions { RetryMax = 1, RetryDelay = TimeSpan.FromMilliseconds(10) };
            using var http = new HttpClient(UpstreamHttp.CreateHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
            var senders = new List<UpstreamSender<CodexCredential>>();
            foreach (string key in (string[])["key-a", "key-b"])
            {
                string path = Path.Combine(logins, key + ".json");
                CredentialFile.WriteAtomic(path, new JsonObject { ["auth_mode"] = "api_key", ["OPENAI_API_KEY"] = key });
                var store = new CodexCredentialStore(options, path, http, TimeProvider.System);
                senders.Add(new UpstreamSender<CodexCredential>(http, new CodexProfile(options, store), TimeProvider.System, NullLogger.Instance));
            }

            using var pool = new AccountPool("codex", ["a", "b"], PoolStrategy.FillFirst, new PoolOptions(), TimeProvider.System, null, null, NullLogger.Instance);
            var sender = new PooledSender<CodexCredential>(pool, senders);
            var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/backend-api/codex/responses");
            var open = new Uri(simulator.BaseUrl, "/backend-api/codex/responses");
            byte[] body = Encoding.UTF8.GetBytes("""{"model":"gpt-5.2-codex","instructions":"Be brief.","input":[{"type":"message","role":"user","content":"hello"}],"stream":true,"store":false}""");

            using UpstreamResponse response = await sender.SendAsync(
                (Closed: closed, Open: open, Body: body),
                static (s, credential) => new UpstreamRequest(credential.BearerToken == "key-a" ? s.Closed : s.Open, s.Body, "gpt-5.2-codex"),
                sessionKey: null,
                TestContext.Current.CancellationToken);

            Assert.Null(response.Error);
            Assert.Equal("b", response.Account);
            Assert.Equal(HttpStatusCode.OK, (HttpStatusCode)response.Status);
            Assert.NotNull(pool.Accounts[0].CooldownUntil);
            Assert.Equal(1, pool.Accounts[1].Requests);
            Assert.Equal(1, simulator.State.CallCount("/backend-api/codex/responses"));
        }
        finally
        {
            Directory.Delete(logins, recursive: true);
        }
    }

    /// <summary>A loopback port that was just free: bound, then released, so a connect to it is refused.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
