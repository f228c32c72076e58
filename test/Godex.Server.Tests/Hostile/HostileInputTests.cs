using System.Text;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Hostile;

/// <summary>
/// Hostile client input through the real server (issue 14, items 5, 7 and 10): every route answers a 4xx in its own
/// dialect, never a 500, never an empty body. The full corpus runs against the native binary in test/hostile.
/// </summary>
public sealed class HostileInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string Path, string Model)[] s_routes =
    [
        ("/v1/chat/completions", "gpt-5.2-codex"),
        ("/v1/chat/completions", "sonnet"),
        ("/v1/responses", "gpt-5.2-codex"),
        ("/v1/responses", "sonnet"),
        ("/v1/messages", "gpt-5.2-codex"),
        ("/v1/messages", "claude-sonnet-4-5"),
        ("/v1/messages/count_tokens", "gpt-5.2-codex"),
        ("/v1/messages/count_tokens", "claude-sonnet-4-5"),
    ];

    public static TheoryData<string, string> Routes => new(s_routes);

    private static bool IsAnthropic(string path) => path.StartsWith("/v1/messages", StringComparison.Ordinal);

    private static string Body(string model, string content) =>
        $$"""{"model":"{{model}}","max_tokens":16,"messages":[{"role":"user","content":"{{content}}"}],"input":"{{content}}"}""";

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task LoneSurrogate_Is400NamingIt_OnEveryRoute(string path, string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, RawHttp.Post(path, Body(model, "a\\ud800b")), Ct);

        Assert.Equal(400, answer.Status);
        (string type, string message) = RawHttp.Error(answer, IsAnthropic(path));
        Assert.Equal("invalid_request_error", type);
        Assert.Contains("lone UTF-16 surrogate", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task InvalidUtf8_Is400NamingIt_OnEveryRoute(string path, string model)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        byte[] body = [.. Encoding.UTF8.GetBytes(Body(model, "a"))];
        body[Array.IndexOf(body, (byte)'a', body.Length - 30)] = 0xFF; // inside the "input" string
        byte[] head = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");

        RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, [.. head, .. body], Ct);

        Assert.Equal(400, answer.Status);
        Assert.Contains("not valid UTF-8", RawHttp.Error(answer, IsAnthropic(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"MODEL","max_tokens":16,"temperature":1e400,"messages":[{"role":"user","content":"hi"}],"input":"hi"}""", "out of range")]
    [InlineData("""{"model":"MODEL","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"input":"hi"} trailing""", "invalid JSON")]
    [InlineData("""{"model":"MODEL","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"input":"hi","metadata":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}""", "depth")]
    [InlineData("""{"model":"gpt-MODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODELMODEL","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"input":"hi"}""", "at most 256")]
    public async Task MalformedBodies_Are400_OnEveryRoute(string template, string named)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        foreach ((string path, string model) in s_routes)
        {
            RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, RawHttp.Post(path, template.Replace("MODEL", model, StringComparison.Ordinal)), Ct);

            Assert.True(answer.Status == 400, $"{path} {model}: {answer.Status} {answer.Body}");
            Assert.Contains(named, RawHttp.Error(answer, IsAnthropic(path)).Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task BadChunkSizes_Are400InTheDialect(string path)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();
        foreach (string chunk in new[] { "ZZ\r\nabc\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", "5\r\nabcdeXX0\r\n\r\n" })
        {
            RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}", Ct);

            Assert.Equal(400, answer.Status);
            Assert.Contains("malformed", RawHttp.Error(answer, IsAnthropic(path)).Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task StalledBody_Is408InTheDialect(string path)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync();

        // Half a body, then nothing: Kestrel's minimum data rate (240 B/s after a 5 s grace) ends it.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{{\"model\"", Ct);

        Assert.Equal(408, answer.Status);
        Assert.Equal("timeout_error", RawHttp.Error(answer, IsAnthropic(path)).Type);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/messages", true)]
    [InlineData("/v1/messages/count_tokens", true)]
    public async Task HostErrors_CarryTheFrontDoorsErrorShape(string path, bool anthropic)
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o => o.Proxy.RequestHeadersTimeout = TimeSpan.FromSeconds(1));
        (string Request, int Status)[] cases =
        [
            ($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404), // main answers a wrong method on a front door as an unknown URL, in the door's shape
            ($"POST {path}/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 404),
            ($"POST {path} HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400),
            ($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n", 400),
            ($"POST {path}?q={new string('a', 20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
            ($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {new string('a', 40_000)}\r\n\r\n", 431),
            ($"POST {path} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 505),
            ($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow", 408), // the headers never end: proxy.request_headers_timeout
        ];

        foreach ((string request, int status) in cases)
        {
            RawHttp.Answer answer = await RawHttp.SendAsync(godex.App.BaseUrl, request, Ct);

            Assert.True(answer.Status == status, $"{request[..Math.Min(60, request.Length)]}: {answer.Status} {answer.Body}");
            (string type, string message) = RawHttp.Error(answer, anthropic);
            Assert.False(string.IsNullOrEmpty(type));
            Assert.False(string.IsNullOrEmpty(message));
        }
    }

    [Fact]
    public async Task InFlightBodies_OverTheBudget_Are503WithRetryAfter()
    {
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.MaxRequestBodyBytes = 100_000;
            o.Proxy.MaxInFlightBodyBytes = 150_000;
        });

        // A request that holds 100 000 bytes of the budget while its body trickles in...
        using var holder = new System.Net.Sockets.TcpClient();
        await holder.ConnectAsync(godex.App.BaseUrl.Host, godex.App.BaseUrl.Port, Ct);
        await holder.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{\"model\":"), Ct);
        await Task.Delay(300, Ct);

        // ...leaves 50 000: a second large body is refused at once, a small one still served.
        string large = Body("gpt-5.2-codex", new string('x', 30_000));
        RawHttp.Answer refused = await RawHttp.SendAsync(godex.App.BaseUrl, RawHttp.Post("/v1/messages", large), Ct);
        RawHttp.Answer served = await RawHttp.SendAsync(godex.App.BaseUrl, RawHttp.Post("/v1/messages", Body("gpt-5.2-codex", "hi")), Ct);

        Assert.Equal(503, refused.Status);
        Assert.Contains("Retry-After: 1", refused.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("overloaded_error", RawHttp.Error(refused, anthropic: true).Type);
        Assert.Equal(200, served.Status);
    }
}
