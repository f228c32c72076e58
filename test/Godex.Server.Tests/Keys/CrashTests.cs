using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Server.Tests.Keys;

/// <summary>
/// Durability: a real <c>godex proxy</c> process under load is killed with SIGKILL and restarted on the same database.
/// Every acknowledged key change must be there, and the ledger must hold every request completed more than the
/// documented flush bound (<see cref="UsageLedgerWriter.MaxFlushDelay"/>) before the kill.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godex-crash-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task KillNineUnderLoad_KeepsKeyChangesAndFlushedUsage()
    {
        string db = Path.Combine(_dir, "godex.db");
        Directory.CreateDirectory(_dir);
        var store = new SqliteKeyStore(GodexDatabase.Open(db, TimeProvider.System), TimeProvider.System);
        IssuedClientKey key = await store.CreateAsync(new NewClientKey { Label = "load", Rate = "100000/s", Burst = 100000 }, Ct);

        int port = FreePort();
        using Process proxy = StartProxy(db, port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitHealthyAsync(http);

        int completed = 0;
        int sent = 0;
        using var stop = new CancellationTokenSource();
        Task[] load = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    Interlocked.Increment(ref sent);
                    using HttpResponseMessage response = await SendAsync(http, key.Secret, stop.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        await response.Content.ReadAsByteArrayAsync(stop.Token);
                        Interlocked.Increment(ref completed);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                {
                    if (proxy.HasExited)
                    {
                        return;
                    }
                }
            }
        }, CancellationToken.None))];

        // Acknowledged key changes made while the proxy serves the load (the CLI's path: straight to the database).
        await Task.Delay(500, Ct);
        await store.UpdateAsync(key.Key.Id, new ClientKeyUpdate { Label = "load-renamed", QuotaTokens = 123_456_789 }, Ct);
        IssuedClientKey added = await store.CreateAsync(new NewClientKey { Label = "added-under-load" }, Ct);
        await Task.Delay(1000, Ct);

        int completedBeforeBound = Volatile.Read(ref completed);
        await Task.Delay(UsageLedgerWriter.MaxFlushDelay + TimeSpan.FromMilliseconds(200), Ct);
        proxy.Kill(entireProcessTree: true); // SIGKILL
        await proxy.WaitForExitAsync(Ct);

        // Requests keep completing until the kill lands, so the upper bound is every request ever sent: the ledger
        // can hold no more than that, and no fewer than those completed a flush interval before the kill.
        int sentAtKill = Volatile.Read(ref sent);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.True(completedBeforeBound > 20, $"the load completed only {completedBeforeBound} requests");

        // Restart on the same file: it opens cleanly and everything acknowledged is there.
        int port2 = FreePort();
        using Process restarted = StartProxy(db, port2);
        try
        {
            using var http2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port2}/"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http2);

            var reopened = GodexDatabase.Open(db, TimeProvider.System);
            ClientKey renamed = (await new SqliteKeyStore(reopened, TimeProvider.System).FindAsync(key.Key.Id, Ct))!;
            Assert.Equal("load-renamed", renamed.Label);
            Assert.Equal(123_456_789, renamed.QuotaTokens);
            using (HttpResponseMessage viaAdded = await SendAsync(http2, added.Secret, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, viaAdded.StatusCode);
            }

            IReadOnlyList<UsageRecord> rows = await new SqliteUsageLedger(reopened).ListAsync(null, key.Key.Id, 1_000_000, Ct);
            int okRows = rows.Count(r => r.Status == 200);
            Assert.InRange(okRows, completedBeforeBound, sentAtKill);
            Assert.All(rows.Where(r => r.Status == 200), r => Assert.True(r.InputTokens > 0 && r.OutputTokens > 0));
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync(Ct);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, cancellationToken);
    }

    private Process StartProxy(string db, int port)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Name; // debug or release, like this assembly
        string cli = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Godex.Cli", configuration, "godex.dll"));
        Assert.True(File.Exists(cli), $"build the solution first: {cli} is missing");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "proxy", "--listen", $"127.0.0.1:{port}", "--simulator", "on", "--log-level", "warn" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["GODEX_PROXY_DATABASE"] = db;
        start.Environment["GODEX_PROXY_ADMIN_SOCKET"] = Path.Combine(_dir, "admin.sock");
        string config = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(config, "proxy:\n  log_level: warn\n");
        start.Environment["GODEX_CONFIG"] = config;
        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient http)
    {
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync("health", Ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail("the proxy did not become healthy");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
