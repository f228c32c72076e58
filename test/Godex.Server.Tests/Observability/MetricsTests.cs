using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Godex.Server.Observability.Metrics;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static Godex.Server.Tests.Observability.ObservedRequests;

namespace Godex.Server.Tests.Observability;

/// <summary><c>GET /metrics</c> through the real server on the simulator, checked by Prometheus's own tools.</summary>
public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two chat answers, one chat stream, one Responses answer, one Messages answer and one malformed body.</summary>
    private static async Task ScriptedMixAsync(GodexAppHarness godex)
    {
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex, stream: true)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResponsesAsync(godex)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(godex)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(godex, "v1/chat/completions", "{not json")).StatusCode);
    }

    [Fact]
    public async Task AfterAScriptedMix_MetricsHoldTheRightCounts_AndPromtoolAcceptsThem()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.Metrics.Enabled = true);
        await ScriptedMixAsync(godex);

        string text = await ScrapeUntilAsync(godex.Http, new Uri(godex.App.BaseUrl, "/metrics"), t => Sum(t, "godex_requests_total") >= 6);

        Assert.Equal(6, Sum(text, "godex_requests_total"));
        Assert.Equal(3, Sum(text, "godex_requests_total", "door=\"chat_completions\"", "backend=\"codex\"", "model=\"gpt-5.2-codex\"", "status=\"200\""));
        Assert.Equal(1, Sum(text, "godex_requests_total", "door=\"chat_completions\"", "status=\"400\""));
        Assert.Equal(1, Sum(text, "godex_requests_total", "door=\"responses\"", "backend=\"codex\"", "status=\"200\""));
        Assert.Equal(1, Sum(text, "godex_requests_total", "door=\"messages\"", "backend=\"anthropic\"", "status=\"200\""));
        Assert.Equal(6, Sum(text, "godex_request_duration_seconds_count"));
        Assert.Equal(6, Sum(text, "godex_time_to_first_byte_seconds_count"));
        Assert.Equal(6, Sum(text, "godex_request_duration_seconds_bucket", "le=\"+Inf\""));
        Assert.True(Sum(text, "godex_tokens_total", "type=\"input\"", "backend=\"codex\"") > 0);
        Assert.True(Sum(text, "godex_tokens_total", "type=\"output\"", "backend=\"anthropic\"") > 0);
        Assert.True(Sum(text, "godex_cost_usd_micros_total", "model=\"claude-sonnet-4-5\"") > 0);
        Assert.Equal(0, Sum(text, "godex_open_streams")); // the one stream was opened and closed
        Assert.Contains("godex_ledger_queue_depth", text, StringComparison.Ordinal);
        Assert.True(Sum(text, "godex_ledger_write_seconds_count") >= 0);
        Assert.DoesNotContain("/metrics", text, StringComparison.Ordinal); // a scrape is not a request

        string promtool = Tool("promtool");
        (int exit, string output) = await RunAsync(promtool, ["check", "metrics"], text);
        Assert.True(exit == 0, "promtool check metrics: " + output);
    }

    [Fact]
    public async Task UpstreamErrorsAndRetries_AreCountedByKind()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Metrics.Enabled = true;
            o.Proxy.Backends.Codex.RetryMax = 1;
        });

        // The simulator's scripted failures: one 503 that a retry gets past, then a 400 that is final.
        HttpResponseMessage retried = await ChatWithScenarioAsync(godex, "fail-once=503");
        HttpResponseMessage refused = await ChatWithScenarioAsync(godex, "400");

        string text = await ScrapeUntilAsync(godex.Http, new Uri(godex.App.BaseUrl, "/metrics"), t => Sum(t, "godex_requests_total") >= 2);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, Sum(text, "godex_upstream_retries_total", "backend=\"codex\"", "reason=\"503\""));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(1, Sum(text, "godex_upstream_errors_total", "backend=\"codex\"", "kind=\"http_4xx\""));
    }

    private static Task<HttpResponseMessage> ChatWithScenarioAsync(GodexAppHarness godex, string scenario) =>
        PostAsync(godex, "v1/chat/completions", $$"""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"[sim:{{scenario}}] hello"}]}""");

    [Fact]
    public async Task APrometheusServer_ScrapesGodex_AndPromQLReturnsTheRequestCount()
    {
        string prometheus = Tool("prometheus");
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Metrics.Enabled = true;
            o.Proxy.Metrics.Listen = "127.0.0.1:0";
        });
        Assert.NotNull(godex.App.MetricsUrl);
        await ScriptedMixAsync(godex);
        await ScrapeUntilAsync(godex.Http, new Uri(godex.App.MetricsUrl!, "/metrics"), t => Sum(t, "godex_requests_total") >= 6);

        string dir = Directory.CreateTempSubdirectory("godex-prometheus-").FullName;
        int webPort = FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: godex
                static_configs:
                  - targets: ['127.0.0.1:{godex.App.MetricsUrl!.Port}']
            """, Ct);
        using var process = Process.Start(new ProcessStartInfo(prometheus,
            [$"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{webPort}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? value = null;
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(120) && value != "6") // Prometheus starts in seconds, slower on a loaded machine
            {
                await Task.Delay(500, Ct);
                try
                {
                    string json = await http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/query?query=sum(godex_requests_total)", Ct);
                    JsonElement result = JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result");
                    value = result.GetArrayLength() == 0 ? null : result[0].GetProperty("value")[1].GetString();
                }
                catch (HttpRequestException)
                {
                    // Prometheus is still starting.
                }
            }

            Assert.Equal("6", value);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task OnItsOwnListener_BehindTheAdminKey()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Metrics.Enabled = true;
            o.Proxy.Metrics.Listen = "127.0.0.1:0";
            o.Proxy.Metrics.RequireAdminKey = true;
            o.Proxy.AdminKey = "admin-secret-for-tests";
        });
        var metrics = new Uri(godex.App.MetricsUrl!, "/metrics");

        Assert.Equal(HttpStatusCode.NotFound, (await godex.Http.GetAsync(new Uri(godex.App.BaseUrl, "/metrics"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await godex.Http.GetAsync(new Uri(godex.App.MetricsUrl!, "/v1/models"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await godex.Http.GetAsync(metrics, Ct)).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, metrics);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-secret-for-tests");
        HttpResponseMessage ok = await godex.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.StartsWith("text/plain", ok.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithEverythingOff_NoOpenTelemetryProviderExists_AndMetricsIs404()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex)).StatusCode);

        Assert.Null(godex.App.Services.GetService<MeterProvider>());
        Assert.Null(godex.App.Services.GetService<TracerProvider>());
        Assert.Null(godex.App.Services.GetService<GodexMetrics>());
        Assert.Equal(HttpStatusCode.NotFound, (await godex.Http.GetAsync(new Uri(godex.App.BaseUrl, "/metrics"), Ct)).StatusCode);
    }

    /// <summary>A Prometheus tool from the OS packages (scripts/install-prereqs.sh installs them).</summary>
    internal static string Tool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"{name} is not installed: scripts/install-prereqs.sh installs the prometheus package");
        return "";
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args, string stdin)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync(Ct);
        Task<string> error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output) + (await error));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
