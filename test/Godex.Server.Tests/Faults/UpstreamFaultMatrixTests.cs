using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Godex.Server.Tests.Faults;

/// <summary>
/// Every upstream fault × every front door × both providers × streamed or not, through the one send path and the
/// one relay: the client gets an error in its own dialect (a status before the first byte, an in-band error after
/// it), within the configured timeouts, godex's own 500 never, and nothing unhandled reaches the host's log. The
/// table this pins is in docs/proxy.md ("Upstream faults").
/// </summary>
public sealed class UpstreamFaultMatrixTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The fault's time bound: its timeout, plus room for a loaded 2-core machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(6);

    private ScriptedUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;
    private string _home = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = new ScriptedUpstream();
        _home = Directory.CreateTempSubdirectory("godex-faults-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_home, "auth.json"), """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", Ct);
        _godex = await StartGodexAsync(
            _upstream,
            options =>
            {
                foreach (Core.Configuration.UpstreamOptions upstream in new Core.Configuration.UpstreamOptions[] { options.Proxy.Backends.Codex, options.Proxy.Backends.Anthropic })
                {
                    upstream.RetryMax = 0;
                    upstream.ConnectTimeout = Timeout;
                    upstream.IdleTimeout = Timeout;
                    upstream.TotalTimeout = TimeSpan.FromSeconds(3);
                    upstream.MaxEventBytes = 4096;
                }
            },
            logging => logging.AddFakeLogging());
    }

    /// <summary>godex with both providers on <paramref name="upstream"/>, no simulator and no database.</summary>
    private Task<GodexAppHarness> StartGodexAsync(
        ScriptedUpstream upstream, Action<Core.Configuration.GodexOptions>? configure = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        string authPath = Path.Combine(_home, "auth.json");
        string root = upstream.BaseUrl.ToString().TrimEnd('/');
        return GodexAppHarness.StartAsync(
            options =>
            {
                options.Proxy.Simulator = "off";
                options.Proxy.Database = "off";
                options.Proxy.Backends.Codex.BaseUrl = root + "/backend-api/codex";
                options.Proxy.Backends.Codex.AuthPath = authPath;
                options.Proxy.Backends.Anthropic.BaseUrl = root;
                options.Proxy.Backends.Anthropic.ApiKey = "sk-ant-test";
                configure?.Invoke(options);
            },
            configureLogging: configureLogging);
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    /// <summary>A front door, a model on one provider, and the kind of upstream body that provider speaks.</summary>
    public sealed record Route(string Name, string Path, string Model, bool Anthropic)
    {
        public bool MessagesDoor => Path == "/v1/messages";

        public override string ToString() => Name;
    }

    public static readonly Route[] Routes =
    [
        new("chat → codex", "/v1/chat/completions", "gpt-5.2-codex", false),
        new("chat → anthropic", "/v1/chat/completions", "claude-sonnet-4-5", true),
        new("responses → codex (passthrough)", "/v1/responses", "gpt-5.2-codex", false),
        new("responses → anthropic", "/v1/responses", "claude-sonnet-4-5", true),
        new("messages → anthropic (passthrough)", "/v1/messages", "claude-sonnet-4-5", true),
        new("messages → codex", "/v1/messages", "gpt-5.2-codex", false),
    ];

    /// <summary>
    /// What the client sees: a status (and no stream), or — a stream already begun — a 200 whose stream carries an
    /// error event. <c>StreamedStatus</c> is the status when the client asked for a stream (null: an in-band error).
    /// </summary>
    public sealed record Fault(string Name, Func<UpstreamExchange, Route, Task> Play, int? PlainStatus, int? StreamedStatus)
    {
        public override string ToString() => Name;
    }

    public static readonly Fault[] Faults =
    [
        new("no response headers", (x, _) => x.HoldAsync(), 504, 504),
        new("headers, then silence", async (x, r) =>
        {
            await x.WriteHeadAsync(200, x.WantsStream ? "text/event-stream" : "application/json");
            await x.HoldAsync();
        }, 504, 504),
        new("silence mid-stream", async (x, r) =>
        {
            await WritePrefixAsync(x, r);
            await x.HoldAsync();
        }, 504, null),
        new("reset mid-stream", async (x, r) =>
        {
            await WritePrefixAsync(x, r);
            x.Reset();
        }, 502, null),
        new("stream ends early", (x, r) => WritePrefixAsync(x, r), 502, null),
        new("an event that is not JSON", async (x, r) =>
        {
            await x.WriteHeadAsync(200, "text/event-stream");
            await x.WriteAsync("event: message_start\ndata: {not json\n\n");
        }, 502, 502),
        new("invalid UTF-8 in an event", async (x, r) =>
        {
            await WritePrefixAsync(x, r);
            await x.WriteAsync([.. "data: {\"type\":\"x\",\"text\":\""u8, 0xff, 0xfe, .. "\"}\n\n"u8]);
        }, 502, null),
        new("invalid UTF-8 in a text delta", async (x, r) =>
        {
            // Refused by the framing (UpstreamResponse checks each event's UTF-8) before a translator takes the text.
            await WritePrefixAsync(x, r);
            await x.WriteAsync(r.Anthropic
                ? [.. "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a"u8, 0xC3, 0x28, .. "\"}}\n\n"u8]
                : [.. "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"delta\":\"a"u8, 0xC3, 0x28, .. "\"}\n\n"u8]);
        }, 502, null),
        new("a lone surrogate escaped in an event", async (x, r) =>
        {
            // Valid JSON and valid UTF-8, but no string: a translator reading the text must not turn it into a 500.
            await WritePrefixAsync(x, r);
            await x.WriteAsync(r.Anthropic
                ? "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ud800\"}}\n\n"
                : "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"delta\":\"\\ud800\"}\n\n");
        }, 502, null),
        new("an event over max_event_bytes", async (x, r) =>
        {
            await x.WriteHeadAsync(200, "text/event-stream");
            await x.WriteAsync("data: \"" + new string('a', 8192) + "\"\n\n");
        }, 502, 502),
        new("a trickle that never finishes an event", async (x, r) =>
        {
            await x.WriteHeadAsync(200, "text/event-stream");
            for (int i = 0; i < 100; i++)
            {
                await x.WriteAsync("a");
                await Task.Delay(100, x.Stopping);
            }
        }, 504, 504),
        new("a chunk size that is not hex", async (x, r) =>
        {
            await x.WriteHeadAsync(200, x.WantsStream ? "text/event-stream" : "application/json", "Transfer-Encoding: chunked\r\n");
            await x.WriteAsync("ZZ\r\nhello\r\n");
        }, 502, 502),
        new("429 with Retry-After", (x, r) => x.WriteResponseAsync(429, "application/json", ErrorBody(r, "rate_limit_error", "slow down"), "Retry-After: 7\r\n"), 429, 429),
        new("500", (x, r) => x.WriteResponseAsync(500, "application/json", ErrorBody(r, "api_error", "boom")), 502, 502),
        new("529 overloaded", (x, r) => x.WriteResponseAsync(529, "application/json", ErrorBody(r, "overloaded_error", "Overloaded")), 529, 529),
        new("a redirect", (x, r) => x.WriteResponseAsync(302, "text/plain", "", "Location: http://127.0.0.1:9/elsewhere\r\n"), 502, 502),
        new("an HTML error page", (x, r) => x.WriteResponseAsync(502, "text/html", "<html><body>Bad Gateway</body></html>"), 502, 502),
        new("a 200 whose JSON is an error", (x, r) => x.WriteResponseAsync(200, "application/json", ErrorBody(r, "api_error", "nope")), 502, 502),
        new("a 200 whose JSON is not an object", (x, r) => x.WriteResponseAsync(200, "application/json", "[1,2,3]"), 502, 502),
    ];

    public static TheoryData<Route, Fault, bool> Cases()
    {
        var cases = new TheoryData<Route, Fault, bool>();
        foreach (Route route in Routes)
        {
            foreach (Fault fault in Faults)
            {
                cases.Add(route, fault, false);
                cases.Add(route, fault, true);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Fault_IsAnErrorInTheClientsDialect_WithinItsBound(Route route, Fault fault, bool stream)
    {
        _upstream.Play(x => fault.Play(x, route));
        var clock = Stopwatch.StartNew();

        using HttpResponseMessage response = await PostAsync(route, stream);
        string body = await response.Content.ReadAsStringAsync(Ct);
        clock.Stop();

        Assert.True(clock.Elapsed < Bound, $"{clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("internal error", body, StringComparison.Ordinal); // the upstream's fault, never godex's 500 in band
        int? expected = stream ? fault.StreamedStatus : fault.PlainStatus;
        if (expected is int status)
        {
            // 529 is Anthropic's own status: Messages clients get it as it is, OpenAI clients a 503 they know.
            int want = status == 529 && !route.MessagesDoor ? 503 : status;
            Assert.Equal(want, (int)response.StatusCode);
            AssertErrorBody(route, body);
            if (status == 429)
            {
                Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
            }
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            AssertInBandError(route, body);
        }

        AssertNothingUnhandled();
    }

    [Theory]
    [MemberData(nameof(RoutesAndModes))]
    public async Task RetryAfter_IsHonoured_ThenTheAnswerComes(Route route, bool stream)
    {
        await using var upstream = new ScriptedUpstream();
        await using GodexAppHarness godex = await StartGodexAsync(upstream, options =>
        {
            options.Proxy.Backends.Codex.RetryMax = 1;
            options.Proxy.Backends.Anthropic.RetryMax = 1;
        });
        int attempt = 0;
        upstream.Play(x => Interlocked.Increment(ref attempt) == 1
            ? x.WriteResponseAsync(429, "application/json", ErrorBody(route, "rate_limit_error", "slow down"), "Retry-After: 1\r\n")
            : WriteCompleteAsync(x, route));
        var clock = Stopwatch.StartNew();

        using HttpResponseMessage response = await PostAsync(godex.Http, route, stream);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, upstream.Requests);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"{clock.Elapsed.TotalMilliseconds:F0} ms: Retry-After: 1 not honoured");
        Assert.Contains("Hello", body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllRoutes))]
    public async Task AnEventFollowedByAKeepAliveInTheSameRead_ReachesTheClient_BeforeTheUpstreamsNextBytes(Route route)
    {
        // The upstream sends its first events and a keep-alive comment in one write, then waits (up to 5 s) for the
        // client to have the text: the events must not wait in godex for the upstream's next bytes.
        await using var upstream = new ScriptedUpstream();
        await using GodexAppHarness godex = await StartGodexAsync(upstream);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool released = false;
        upstream.Play(async x =>
        {
            await x.WriteHeadAsync(200, "text/event-stream");
            await x.WriteAsync((route.Anthropic ? AnthropicPrefix : CodexPrefix) + ": keep-alive\n\n");
            try
            {
                await seen.Task.WaitAsync(TimeSpan.FromSeconds(5), x.Stopping);
            }
            catch (TimeoutException)
            {
                released = true; // the client never had the text: the upstream's next bytes release it
            }

            await x.WriteAsync(route.Anthropic ? AnthropicEnd : CodexEnd);
        });

        using HttpResponseMessage response = await PostAsync(godex.Http, route, stream: true);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var body = new StringBuilder();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            body.Append(line).Append('\n');
            if (line.Contains("Hello", StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(released, "the first events waited in godex for the upstream's next bytes:\n" + body);
    }

    public static TheoryData<Route> AllRoutes() => [.. Routes];

    public static TheoryData<Route, bool> RoutesAndModes()
    {
        var cases = new TheoryData<Route, bool>();
        foreach (Route route in Routes)
        {
            cases.Add(route, false);
            cases.Add(route, true);
        }

        return cases;
    }

    [Fact]
    public async Task AfterEveryFault_GodexStillServes()
    {
        foreach (Route route in Routes)
        {
            foreach (Fault fault in Faults)
            {
                _upstream.Play(x => fault.Play(x, route));
                using HttpResponseMessage failed = await PostAsync(route, stream: true);
                _ = await failed.Content.ReadAsStringAsync(Ct);
            }
        }

        foreach (Route route in Routes)
        {
            _upstream.Play(x => WriteCompleteAsync(x, route));
            using HttpResponseMessage response = await PostAsync(route, stream: false);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        AssertNothingUnhandled();
    }

    [Fact]
    public async Task ShortNonStreamedAnswer_IsAskedForWhole_ItsHeadersMayComeAfterConnectTimeout()
    {
        // A generation asked for without a stream sends its headers only with the whole answer: waiting longer than
        // connect_timeout (0.5 s here) for them is no fault, total_timeout (3 s) bounds it.
        string? asked = null;
        _upstream.Play(async x =>
        {
            asked = x.RequestBody;
            await Task.Delay(TimeSpan.FromSeconds(1.2), x.Stopping);
            await WriteCompleteAsync(x, Routes[1]);
        });

        using HttpResponseMessage response = await PostAsync(Routes[1], stream: false);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello", body, StringComparison.Ordinal);
        Assert.Contains("\"stream\":false", asked, StringComparison.Ordinal);
        AssertNothingUnhandled();
    }

    [Theory]
    [InlineData("""{"max_tokens":9000}""")] // may run long: streamed, so the connection carries events all along
    [InlineData("""{"reasoning_effort":"high"}""")] // thinking adds its budget to max_tokens
    public async Task LongOrThinkingNonStreamedAnswer_IsAskedForAsAStream(string extra)
    {
        string? asked = null;
        _upstream.Play(x =>
        {
            asked = x.RequestBody;
            return WriteCompleteAsync(x, Routes[1]);
        });
        string json = """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],""" + extra[1..];

        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello", body, StringComparison.Ordinal);
        Assert.Contains("\"stream\":true", asked, StringComparison.Ordinal);
    }

    public static TheoryData<string> BrokenWholeAnswers() => new()
    {
        "shorter than its Content-Length",
        "reset mid-body",
        "over max_event_bytes",
        "not valid UTF-8",
        "a lone surrogate escaped",
        "cut mid-JSON (chunked)",
    };

    [Theory]
    [MemberData(nameof(BrokenWholeAnswers))]
    public async Task BrokenWholeAnswer_Is502(string fault)
    {
        const string Start = """{"id":"msg_f","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hel""";
        const string End = """lo"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":1}}""";
        _upstream.Play(async x =>
        {
            switch (fault)
            {
                case "shorter than its Content-Length":
                    await x.WriteHeadAsync(200, "application/json", "Content-Length: 500\r\n");
                    await x.WriteAsync(Start);
                    break;
                case "reset mid-body":
                    await x.WriteHeadAsync(200, "application/json", "Content-Length: 500\r\n");
                    await x.WriteAsync(Start);
                    await Task.Delay(100, x.Stopping);
                    x.Reset();
                    break;
                case "over max_event_bytes":
                    await x.WriteResponseAsync(200, "application/json", Start + new string('a', 5000) + End);
                    break;
                case "not valid UTF-8":
                    byte[] head = Encoding.UTF8.GetBytes(Start);
                    byte[] tail = Encoding.UTF8.GetBytes(End);
                    await x.WriteAsync([.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 Scripted\r\nContent-Type: application/json\r\nContent-Length: {head.Length + 1 + tail.Length}\r\nConnection: close\r\n\r\n"), .. head, 0xff, .. tail]);
                    break;
                case "a lone surrogate escaped":
                    await x.WriteResponseAsync(200, "application/json", Start + "\\ud800" + End);
                    break;
                default:
                    await x.WriteHeadAsync(200, "application/json", "Transfer-Encoding: chunked\r\n");
                    await x.WriteAsync($"{Start.Length:x}\r\n{Start}\r\n0\r\n\r\n");
                    break;
            }
        });

        using HttpResponseMessage response = await PostAsync(Routes[1], stream: false);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        AssertErrorBody(Routes[1], body);
        AssertNothingUnhandled();
    }

    private Task<HttpResponseMessage> PostAsync(Route route, bool stream) => PostAsync(_godex.Http, route, stream);

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, Route route, bool stream)
    {
        string body = route.Path switch
        {
            "/v1/chat/completions" => $$"""{"model":"{{route.Model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""",
            "/v1/responses" => $$"""{"model":"{{route.Model}}","stream":{{(stream ? "true" : "false")}},"store":false,"input":"hi"}""",
            _ => $$"""{"model":"{{route.Model}}","stream":{{(stream ? "true" : "false")}},"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""",
        };
        var request = new HttpRequestMessage(HttpMethod.Post, route.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    private static void AssertErrorBody(Route route, string body)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement error = document.RootElement.GetProperty("error");
        if (route.MessagesDoor)
        {
            Assert.Equal("error", document.RootElement.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        }

        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), body);
    }

    /// <summary>The error event of the client's dialect, and the stream ended (the body was read to its end).</summary>
    private static void AssertInBandError(Route route, string body)
    {
        switch (route.Path)
        {
            case "/v1/messages":
                Assert.Contains("event: error\ndata: {\"type\":\"error\",\"error\":{", body, StringComparison.Ordinal);
                break;
            case "/v1/responses":
                Assert.True(body.Contains("event: error\n", StringComparison.Ordinal) || body.Contains("event: response.failed\n", StringComparison.Ordinal), body);
                break;
            default:
                Assert.Contains("data: {\"error\":{", body, StringComparison.Ordinal);
                break;
        }
    }

    private void AssertNothingUnhandled()
    {
        IReadOnlyList<FakeLogRecord> errors = [.. _godex.App.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level >= LogLevel.Error && r.Category is { } c && c.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal))];
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
    }

    private static string ErrorBody(Route route, string type, string message) => route.Anthropic
        ? $$$"""{"type":"error","error":{"type":"{{{type}}}","message":"{{{message}}}"}}"""
        : $$$"""{"error":{"type":"{{{type}}}","code":"{{{type}}}","message":"{{{message}}}"}}""";

    /// <summary>The first events of a well-formed answer (SSE), or the first bytes of a JSON body.</summary>
    private static async Task WritePrefixAsync(UpstreamExchange x, Route route)
    {
        if (!x.WantsStream)
        {
            await x.WriteAsync("HTTP/1.1 200 Scripted\r\nContent-Type: application/json\r\nContent-Length: 4000\r\nConnection: close\r\n\r\n{\"id\":\"msg_f\",\"type\":\"message\",");
            return;
        }

        await x.WriteHeadAsync(200, "text/event-stream");
        await x.WriteAsync(route.Anthropic ? AnthropicPrefix : CodexPrefix);
    }

    private static async Task WriteCompleteAsync(UpstreamExchange x, Route route)
    {
        if (route.Anthropic && !x.WantsStream)
        {
            await x.WriteResponseAsync(200, "application/json", """{"id":"msg_f","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}""");
            return;
        }

        await x.WriteHeadAsync(200, "text/event-stream");
        await x.WriteAsync(route.Anthropic ? AnthropicPrefix + AnthropicEnd : CodexPrefix + CodexEnd);
    }

    private const string CodexPrefix =
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_f\",\"object\":\"response\",\"created_at\":1,\"status\":\"in_progress\",\"model\":\"gpt-5.2-codex\",\"output\":[]}}\n\n" +
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"msg_f\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}\n\n" +
        "event: response.content_part.added\ndata: {\"type\":\"response.content_part.added\",\"sequence_number\":2,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}\n\n" +
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hello\"}\n\n";

    private const string CodexEnd =
        "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"sequence_number\":4,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"text\":\"Hello\"}\n\n" +
        "event: response.content_part.done\ndata: {\"type\":\"response.content_part.done\",\"sequence_number\":5,\"item_id\":\"msg_f\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"Hello\",\"annotations\":[]}}\n\n" +
        "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"sequence_number\":6,\"output_index\":0,\"item\":{\"id\":\"msg_f\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello\",\"annotations\":[]}]}}\n\n" +
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":7,\"response\":{\"id\":\"resp_f\",\"object\":\"response\",\"created_at\":1,\"status\":\"completed\",\"model\":\"gpt-5.2-codex\",\"output\":[{\"id\":\"msg_f\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Hello\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":5,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":1,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":6}}}\n\n";

    private const string AnthropicPrefix =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_f\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n";

    private const string AnthropicEnd =
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":1}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
}
