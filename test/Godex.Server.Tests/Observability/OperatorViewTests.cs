using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Godex.Core.Keys;
using Godex.Core.Metering;
using Godex.Core.Configuration;
using Godex.Server.Observability.Audit;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Godex.Server.Tests.Observability.ObservedRequests;

namespace Godex.Server.Tests.Observability;

/// <summary>The JSON request log, the audit and trace files, the live event feed, budgets and /readyz, on the real server.</summary>
public sealed class OperatorViewTests
{
    private const string StaticKey = "sk-observed-static-key-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JsonLogFormat_WritesOneStructuredEventPerRequest_WithoutSecrets()
    {
        var captured = new CapturingLoggerProvider();
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(
            o =>
            {
                o.Proxy.Simulator = "on";
                o.Proxy.LogFormat = "json";
                o.Proxy.LogLevel = "info";
                o.Proxy.ApiKey = StaticKey;
            },
            configureLogging: logging => logging.AddProvider(captured));

        HttpResponseMessage chat = await ChatAsync(godex, StaticKey, stream: true);
        HttpResponseMessage messages = await MessagesAsync(godex, StaticKey);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal(HttpStatusCode.OK, messages.StatusCode);

        IReadOnlyDictionary<string, object?>[] events = await WaitAsync<IReadOnlyDictionary<string, object?>>(() => [.. captured.Events.Where(e => e.Category == "Godex.Requests").Select(e => e.Fields)], 2);
        Assert.Equal(2, events.Length);
        IReadOnlyDictionary<string, object?> first = events.Single(e => (string?)e["Door"] == "chat_completions");
        Assert.Equal(chat.Headers.GetValues("x-request-id").Single(), first["RequestId"]);
        Assert.Equal("static", first["KeyId"]);
        Assert.Equal("gpt-5.2-codex", first["Model"]);
        Assert.Equal("codex", first["Backend"]);
        Assert.Equal(200, first["Status"]);
        Assert.Equal(true, first["Stream"]);
        Assert.True((long)first["InputTokens"]! > 0);
        Assert.True((long)first["OutputTokens"]! > 0);
        Assert.NotNull(first["TtfbMs"]);
        Assert.True((double)first["DurationMs"]! >= (double)first["TtfbMs"]!);
        Assert.Equal("anthropic", events.Single(e => (string?)e["Door"] == "messages")["Backend"]);
        Assert.DoesNotContain(captured.Events, e => e.Message.Contains(StaticKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuditTraceAndUpstreamAuditFiles_HoldTheOriginalsKeys_WithCredentialsRedacted()
    {
        string dir = Directory.CreateTempSubdirectory("godex-audit-").FullName;
        try
        {
            await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
            {
                o.Proxy.Simulator = "on";
                o.Proxy.ApiKey = StaticKey;
                o.Proxy.AuditPath = Path.Combine(dir, "audit.jsonl");
                o.Proxy.AuditBodies = true;
                o.Proxy.TracePath = Path.Combine(dir, "proxy-trace.jsonl");
                o.Proxy.UpstreamAuditPath = Path.Combine(dir, "upstream-audit.jsonl");
            });

            HttpResponseMessage response = await ChatAsync(godex, StaticKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string requestId = response.Headers.GetValues("x-request-id").Single();
            JsonElement[] audit = await LinesAsync(godex, Path.Combine(dir, "audit.jsonl"), 1);
            JsonElement[] trace = await LinesAsync(godex, Path.Combine(dir, "proxy-trace.jsonl"), 2);
            JsonElement[] upstream = await LinesAsync(godex, Path.Combine(dir, "upstream-audit.jsonl"), 2);

            JsonElement line = Assert.Single(audit);
            Assert.Equal(requestId, line.GetProperty("request_id").GetString());
            Assert.Equal("static", line.GetProperty("key_id").GetString());
            Assert.Equal("POST", line.GetProperty("method").GetString());
            Assert.Equal("/v1/chat/completions", line.GetProperty("path").GetString());
            Assert.Equal("gpt-5.2-codex", line.GetProperty("model").GetString());
            Assert.Equal(200, line.GetProperty("status").GetInt32());
            Assert.True(line.GetProperty("tokens_in").GetInt64() > 0);
            Assert.True(line.GetProperty("tokens_out").GetInt64() > 0);
            Assert.True(line.GetProperty("elapsed_ms").GetInt64() >= 0);
            Assert.Equal("hello there", line.GetProperty("request").GetProperty("messages")[0].GetProperty("content").GetString());

            Assert.Equal(["in", "out"], trace.Select(t => t.GetProperty("direction").GetString()));
            Assert.All(trace, t => Assert.Equal(requestId, t.GetProperty("request_id").GetString()));
            Assert.Equal("[redacted]", trace[0].GetProperty("headers").GetProperty("Authorization").GetString());
            Assert.Equal("gpt-5.2-codex", trace[0].GetProperty("payload").GetProperty("model").GetString());
            Assert.Equal(200, trace[1].GetProperty("status").GetInt32());

            Assert.Equal(["request", "response"], upstream.Select(u => u.GetProperty("phase").GetString()));
            Assert.Equal("gpt-5.2-codex", upstream[0].GetProperty("model").GetString());
            Assert.Equal(JsonValueKind.Object, upstream[0].GetProperty("payload").ValueKind);
            Assert.Equal(200, upstream[1].GetProperty("status").GetInt32());

            foreach (string file in Directory.GetFiles(dir))
            {
                Assert.DoesNotContain(StaticKey, await File.ReadAllTextAsync(file, Ct), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AuditFile_RotatesBySize_KeepingMaxBackups()
    {
        string dir = Directory.CreateTempSubdirectory("godex-rotate-").FullName;
        try
        {
            string path = Path.Combine(dir, "audit.jsonl");
            await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
            {
                o.Proxy.Simulator = "on";
                o.Proxy.AuditPath = path;
                o.Proxy.AuditBodies = true;
                o.Proxy.AuditMaxBytes = 600; // one line with its body is more: every line rotates the file
                o.Proxy.AuditMaxBackups = 2;
            });

            for (int i = 0; i < 5; i++)
            {
                HttpResponseMessage response = await ChatAsync(godex);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                string id = response.Headers.GetValues("x-request-id").Single();

                // The line is queued after the last byte: wait until this request's line is the current file's.
                JsonElement[] current = await LinesAsync(godex, path, 1, l => l.GetProperty("request_id").GetString() == id);
                Assert.Single(current);
            }

            Assert.True(File.Exists(path));
            Assert.True(File.Exists(path + ".1"));
            Assert.True(File.Exists(path + ".2"));
            Assert.False(File.Exists(path + ".3"));
            Assert.All([path, path + ".1", path + ".2"], f => Assert.Single(File.ReadAllLines(f)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task LiveEvents_ReachAnAttachedListener_WithinOneSecond()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartAsync(o =>
        {
            o.Proxy.Simulator = "on";
            o.Proxy.AdminKey = "admin-key-for-events";
        });
        using var listen = new HttpRequestMessage(HttpMethod.Get, "admin/events");
        listen.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-key-for-events");
        using HttpResponseMessage events = await godex.Http.SendAsync(listen, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(Ct));
        Assert.Equal(": attached to godex", await reader.ReadLineAsync(Ct));

        var sent = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage chat = await ChatAsync(godex);
        string? data = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        while (data is null && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            data = line.StartsWith("data: ", StringComparison.Ordinal) ? line[6..] : null;
        }

        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(1), $"the event came {sent.Elapsed.TotalMilliseconds} ms after the request was sent");
        JsonElement item = JsonDocument.Parse(data!).RootElement;
        Assert.Equal("request", item.GetProperty("type").GetString());
        Assert.Equal(chat.Headers.GetValues("x-request-id").Single(), item.GetProperty("request_id").GetString());
        Assert.Equal(200, item.GetProperty("status").GetInt32());

        HttpResponseMessage anonymous = await godex.Http.GetAsync("admin/events", Ct);
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("responses")]
    [InlineData("messages")]
    public async Task ABudgetOfOneCent_RefusesTheRequestAfterTheOneThatSpendsIt(string door)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
            o.Proxy.Prices.Add(new("*", ModelPrice.Parse("in=1000,out=1000", "test price")))); // ~$0.02 per simulated answer
        IssuedClientKey key = await godex.App.Services.GetRequiredService<IKeyStore>().CreateAsync(
            new NewClientKey { Label = "budget", BudgetMicros = 10_000, BudgetWindow = TimeSpan.FromDays(30) }, Ct);
        await godex.App.Services.GetRequiredService<KeyCache>().ReloadAsync(Ct);

        HttpResponseMessage first = await DoorAsync(godex, door, key.Secret);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("0.010000", first.Headers.GetValues("x-godex-budget-remaining").Single());
        UsageRecord row = await RowAsync(godex, key.Key.Id);
        Assert.True(row.CostMicros > 10_000, $"the first answer cost {row.CostMicros} micro-dollars");

        HttpResponseMessage refused = await DoorAsync(godex, door, key.Secret);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("0.000000", refused.Headers.GetValues("x-godex-budget-remaining").Single());
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        JsonElement root = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement;
        string message = root.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("Budget of this API key used up: USD 0.010000 per 30d", message, StringComparison.Ordinal);
        Assert.Contains("resets at", message, StringComparison.Ordinal);
        if (door == "messages")
        {
            Assert.Equal("error", root.GetProperty("type").GetString());
            Assert.Equal("rate_limit_error", root.GetProperty("error").GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("budget_exceeded", root.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task Readyz_NamesItsChecks()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        HttpResponseMessage ready = await godex.Http.GetAsync("readyz", Ct);

        JsonElement root = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", root.GetProperty("status").GetString());
        Assert.Equal("ok", root.GetProperty("checks").GetProperty("database").GetString());
        Assert.Contains(root.GetProperty("checks").GetProperty("backends").EnumerateObject(), b => b.Value.GetString() == "ready");
    }

    private static async Task<UsageRecord> RowAsync(GodexAppHarness godex, string keyId)
    {
        IReadOnlyList<UsageRecord> rows = [];
        for (int i = 0; i < 100 && rows.Count == 0; i++)
        {
            await ((UsageLedgerWriter)godex.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);
            rows = await godex.App.Services.GetRequiredService<IUsageLedger>().ListAsync(null, keyId, 10, Ct);
            if (rows.Count == 0)
            {
                await Task.Delay(20, Ct);
            }
        }

        return Assert.Single(rows);
    }

    /// <summary>The file's lines once it has <paramref name="count"/> (lines are written after the response, off the request path).</summary>
    private static async Task<JsonElement[]> LinesAsync(GodexAppHarness godex, string path, int count, Func<JsonElement, bool>? wanted = null)
    {
        AuditLog audit = godex.App.Services.GetRequiredService<AuditLog>();
        return await WaitAsync<JsonElement>(
            () => File.Exists(path) ? [.. File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).Where(l => wanted?.Invoke(l) ?? true)] : [],
            count,
            () => audit.FlushAsync(Ct));
    }

    private static async Task<T[]> WaitAsync<T>(Func<T[]> read, int count, Func<Task>? between = null)
    {
        T[] items = [];
        for (int i = 0; i < 100; i++)
        {
            if (between is not null)
            {
                await between();
            }

            items = read();
            if (items.Length >= count)
            {
                return items;
            }

            await Task.Delay(50, Ct);
        }

        return items;
    }

    /// <summary>Keeps every log event with its structured fields.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Message, IReadOnlyDictionary<string, object?> Fields)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var fields = state is IReadOnlyList<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
                owner.Events.Enqueue((category, formatter(state, exception), fields));
            }
        }
    }
}
