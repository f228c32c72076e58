using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Server.Hosting;

namespace Godex.Cli.Tests;

/// <summary><c>godex proxy replay</c> and <c>godex proxy attach</c> against a running godex on the simulator.</summary>
public sealed class ReplayAttachTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-replay-").FullName;
    private GodexApp? _app;

    public ReplayAttachTests() => File.WriteAllText(Config, "proxy:\n  database: \"off\"\n"); // keeps the CLI off the user's config

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string TracePath => Path.Combine(_dir, "proxy-trace.jsonl");

    private string Socket => Path.Combine(_dir, "admin.sock");

    private string Config => Path.Combine(_dir, "config.yaml");

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<GodexApp> StartAsync()
    {
        var options = new GodexOptions();
        options.Proxy.Listen = "127.0.0.1:0";
        options.Proxy.LogLevel = "warn";
        options.Proxy.Simulator = "on";
        options.Proxy.Database = Path.Combine(_dir, "godex.db");
        options.Proxy.AdminSocket = Socket;
        options.Proxy.TracePath = TracePath;
        _app = await GodexApp.StartAsync(options, [], Ct);
        return _app;
    }

    private static async Task<(string Body, string RequestId)> PostAsync(GodexApp app, string body)
    {
        using var http = new HttpClient();
        using HttpResponseMessage response = await http.PostAsync(new Uri(app.BaseUrl, "/v1/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.IsSuccessStatusCode);
        return (await response.Content.ReadAsStringAsync(Ct), response.Headers.GetValues("x-request-id").Single());
    }

    [Fact]
    public async Task Replay_SendsTheRecordedRequestAgain_AndGetsTheSameAnswer()
    {
        GodexApp app = await StartAsync();
        (string original, string id) = await PostAsync(app, """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"replay me exactly"}]}""");
        await WaitForAsync(() => File.Exists(TracePath) && File.ReadAllLines(TracePath).Length >= 2); // lines are written after the last byte
        await PostAsync(app, """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"a later request"}]}""");
        await WaitForAsync(() => File.Exists(TracePath) && File.ReadAllLines(TracePath).Length >= 4);

        (int listed, string list, _) = await CliRunner.RunAsync("proxy", "replay", "--list", "5", "--trace-path", TracePath, "--config", Config);
        (int exit, string replayed, string error) = await CliRunner.RunAsync("proxy", "replay", id, "--trace-path", TracePath, "--url", app.BaseUrl.ToString(), "--config", Config);

        Assert.Equal(0, listed);
        string[] rows = list.Trim().Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.Equal(id, rows[1].Split('\t')[0]); // newest first
        Assert.Equal(["/v1/chat/completions", "trace"], rows[1].Split('\t')[1..2].Append(rows[1].Split('\t')[3]));
        Assert.True(exit == 0, error);
        Assert.Equal(Content(original), Content(replayed));
        Assert.Equal(Usage(original), Usage(replayed));
    }

    [Fact]
    public async Task Replay_UnknownId_Fails_NamingTheFiles()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("proxy", "replay", "no-such-id", "--trace-path", TracePath, "--audit-path", Path.Combine(_dir, "audit.jsonl"), "--config", Config);

        Assert.Equal(1, exit);
        Assert.Contains("no-such-id", error, StringComparison.Ordinal);
        Assert.Contains(TracePath, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_PrintsALiveRequest_WithinOneSecond()
    {
        GodexApp app = await StartAsync();
        var output = new SynchronizedWriter();
        var error = new SynchronizedWriter();
        using var detach = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task<int> attached = GodexCommand.InvokeAsync(GodexCommand.Create(), ["proxy", "attach", "--json", "--socket", Socket, "--config", Config],
            new InvocationConfiguration { Output = output, Error = error }, detach.Token);
        await WaitForAsync(() => error.Text.Contains("attached to godex", StringComparison.Ordinal));

        // One request first: the second is timed, not the JIT compiling the first (a busy test machine takes > 1 s for it).
        (_, string warmUp) = await PostAsync(app, """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"warm up"}]}""");
        await WaitForAsync(() => output.Text.Contains(warmUp, StringComparison.Ordinal));
        var sent = Stopwatch.StartNew();
        (_, string id) = await PostAsync(app, """{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"watch me"}]}""");
        await WaitForAsync(() => output.Text.Contains(id, StringComparison.Ordinal));
        TimeSpan seen = sent.Elapsed;
        await detach.CancelAsync();

        Assert.Equal(0, await attached);
        Assert.True(seen < TimeSpan.FromSeconds(1), $"attach printed the request {seen.TotalMilliseconds} ms after it was sent");
        JsonElement item = JsonDocument.Parse(output.Text.Split('\n').First(l => l.Contains(id, StringComparison.Ordinal))).RootElement;
        Assert.Equal("request", item.GetProperty("type").GetString());
        Assert.Equal(200, item.GetProperty("status").GetInt32());
        Assert.Equal("gpt-5.2-codex", item.GetProperty("model").GetString());
    }

    private static string Content(string chatCompletion) =>
        JsonDocument.Parse(chatCompletion).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    private static string Usage(string chatCompletion) =>
        JsonDocument.Parse(chatCompletion).RootElement.GetProperty("usage").GetRawText();

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition(), "timed out after 2 s");
    }

    /// <summary>A writer the command writes to while the test reads it.</summary>
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(string? value)
        {
            Write(value + NewLine);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToString());
            return Task.CompletedTask;
        }
    }
}
