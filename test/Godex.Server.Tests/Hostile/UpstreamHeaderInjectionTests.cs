using System.Text;
using System.Text.RegularExpressions;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Hostile;

/// <summary>
/// Issue 14, security item 1: no upstream request ever carries a header built from unvalidated client text. Every
/// header godex builds from client data is covered, on every route that builds it: <c>session_id</c> from
/// <c>prompt_cache_key</c> (Chat Completions and Responses, translated and passed through, and the key the Messages
/// door derives from the system prompt), the Codex CLI's forwarded headers (<c>session-id</c>, <c>thread-id</c>,
/// <c>x-client-request-id</c>, <c>x-codex-turn-metadata</c>, <c>x-codex-window-id</c>, <c>x-codex-beta-features</c>),
/// Anthropic's <c>anthropic-version</c> and <c>anthropic-beta</c> lists (<c>/v1/messages</c> and
/// <c>count_tokens</c>), and the text that only goes into bodies (model, metadata, user). The upstream reads raw
/// bytes off its socket, so a header or a whole second request smuggled past HttpClient would show as sent.
/// </summary>
public sealed partial class UpstreamHeaderInjectionTests : IAsyncLifetime
{
    private const string Codex = "gpt-5.2-codex";
    private const string Claude = "claude-sonnet-4-5";

    /// <summary>A client value that would add a header, one that would write a second request, and bytes no header may carry.</summary>
    public static TheoryData<string> HostileValues => new(
        "a\\r\\nX-Injected: yes",
        "a\\r\\n\\r\\nGET /smuggled HTTP/1.1\\r\\nHost: upstream\\r\\nX-Injected: yes\\r\\n\\r\\n",
        "a\\nX-Injected: yes",
        "a\\rX-Injected: yes",
        "a\\u0000X-Injected: yes",
        "sess-\\u00e9t\\u00e9-X-Injected",
        "sess-\\ud83d\\ude00-X-Injected",
        "X-Injected" + new string('x', 2000));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RawCaptureUpstream _upstream = null!;
    private GodexAppHarness _godex = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = RawCaptureUpstream.Start();
        _godex = await GodexAppHarness.StartOnUpstreamAsync(_upstream.BaseUrl);
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task PromptCacheKey_NeverReachesAnUpstreamHeaderUnvalidated(string hostile)
    {
        // Chat Completions → Codex (translated), Responses → Codex (passed through), Responses → Codex translated (store
        // makes godex keep the turn, so the canonical request is built).
        string[] bodies =
        [
            $$"""{"model":"{{Codex}}","stream":true,"prompt_cache_key":"{{hostile}}","messages":[{"role":"user","content":"hi"}]}""",
            $$"""{"model":"{{Codex}}","stream":true,"store":false,"prompt_cache_key":"{{hostile}}","input":"hi"}""",
            $$"""{"model":"{{Codex}}","stream":true,"store":true,"prompt_cache_key":"{{hostile}}","input":"hi"}""",
        ];
        string[] paths = ["/v1/chat/completions", "/v1/responses", "/v1/responses"];
        for (int i = 0; i < bodies.Length; i++)
        {
            RawHttp.Answer answer = await SendAsync(paths[i], bodies[i]);

            Assert.True(answer.Status == 200, $"{paths[i]}: {answer.Status} {answer.Body}");
            string sent = LastUpstreamRequest();
            AssertNoClientMadeHeader(sent);
            Assert.DoesNotContain("session_id:", sent, StringComparison.OrdinalIgnoreCase); // refused: sent without the header
        }
    }

    [Fact]
    public async Task PromptCacheKey_ThatIsSafe_IsTheSessionHeader()
    {
        // The positive control: the checks above pass because hostile values are refused, not because nothing is sent.
        await SendAsync("/v1/chat/completions", $$"""{"model":"{{Codex}}","stream":true,"prompt_cache_key":"sess-42","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Contains("\r\nsession_id: sess-42\r\n", LastUpstreamRequest(), StringComparison.Ordinal);

        await SendAsync("/v1/responses", $$"""{"model":"{{Codex}}","stream":true,"prompt_cache_key":"sess-43","input":"hi"}""");
        Assert.Contains("\r\nsession_id: sess-43\r\n", LastUpstreamRequest(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task SystemPrompt_TheMessagesDoorKeysSessionsOn_NeverReachesAHeader(string hostile)
    {
        // The Messages door derives Codex's session from the system prompt and tools: a hash, never the text.
        RawHttp.Answer answer = await SendAsync("/v1/messages",
            $$"""{"model":"{{Codex}}","max_tokens":16,"stream":true,"system":"{{hostile}}","metadata":{"user_id":"{{hostile}}"},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, answer.Status);
        string sent = LastUpstreamRequest();
        AssertNoClientMadeHeader(sent);
        Assert.Matches(SessionHeader(), sent);
    }

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task BodyOnlyFields_StayInTheBody(string hostile)
    {
        // metadata, user, safety_identifier, and the Anthropic passthrough's metadata: JSON-escaped in the body only.
        (string Path, string Body)[] cases =
        [
            ("/v1/chat/completions", $$"""{"model":"{{Codex}}","stream":true,"user":"{{hostile}}","metadata":{"k":"{{hostile}}"},"messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/responses", $$"""{"model":"{{Codex}}","stream":true,"user":"{{hostile}}","safety_identifier":"{{hostile}}","metadata":{"k":"{{hostile}}"},"input":"hi"}"""),
            ("/v1/messages", $$"""{"model":"{{Claude}}","max_tokens":16,"stream":true,"metadata":{"user_id":"{{hostile}}"},"system":"{{hostile}}","messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/chat/completions", $$"""{"model":"{{Claude}}","stream":true,"user":"{{hostile}}","metadata":{"k":"{{hostile}}"},"messages":[{"role":"user","content":"hi"}]}"""),
        ];
        foreach ((string path, string body) in cases)
        {
            RawHttp.Answer answer = await SendAsync(path, body);

            Assert.True(answer.Status == 200, $"{path}: {answer.Status} {answer.Body}");
            AssertNoClientMadeHeader(LastUpstreamRequest());
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions", Codex)]
    [InlineData("/v1/responses", Codex)]
    [InlineData("/v1/messages", Claude)]
    [InlineData("/v1/messages/count_tokens", Claude)]
    public async Task Model_WithLineBreaks_IsRefusedBeforeAnyUpstream(string path, string model)
    {
        int before = _upstream.Requests.Count;

        RawHttp.Answer answer = await SendAsync(path, $$"""{"model":"{{model}}\r\nX-Injected: yes","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"input":"hi"}""");

        Assert.True(answer.Status == 400, $"{answer.Status} {answer.Body}");
        Assert.Contains("model: control characters", RawHttp.Error(answer, path.StartsWith("/v1/messages", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        Assert.Equal(before, _upstream.Requests.Count);
    }

    /// <summary>The client headers a passthrough forwards, each with a value Kestrel lets in but no upstream header may carry.</summary>
    public static TheoryData<string, string, string> ForwardedHeaders => new()
    {
        { "/v1/responses", Codex, "session-id" },
        { "/v1/responses", Codex, "thread-id" },
        { "/v1/responses", Codex, "x-client-request-id" },
        { "/v1/responses", Codex, "x-codex-turn-metadata" },
        { "/v1/responses", Codex, "x-codex-window-id" },
        { "/v1/responses", Codex, "x-codex-beta-features" },
        { "/v1/messages", Claude, "anthropic-beta" },
        { "/v1/messages", Claude, "anthropic-version" },
        { "/v1/messages/count_tokens", Claude, "anthropic-beta" },
        { "/v1/messages/count_tokens", Claude, "anthropic-version" },
    };

    [Theory]
    [MemberData(nameof(ForwardedHeaders))]
    public async Task ForwardedClientHeader_NonAsciiOrOversized_IsRefusedOrDropped(string path, string model, string header)
    {
        string body = PassthroughBody(path, model);
        bool anthropic = path.StartsWith("/v1/messages", StringComparison.Ordinal);

        // Raw bytes: UTF-8 (é), a lone Latin-1 byte, a control character; then a value past the 1 KB cap.
        byte[][] values =
        [
            [.. "beta-"u8, 0xC3, 0xA9, .. "-X-Injected"u8],
            [.. "beta-"u8, 0xE9, .. "-X-Injected"u8],
            [.. "beta-"u8, 0x01, .. "-X-Injected"u8],
            Encoding.ASCII.GetBytes("X-Injected-" + new string('b', 1100)),
        ];
        foreach (byte[] value in values)
        {
            int before = _upstream.Requests.Count;
            byte[] head = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{header}: ");
            byte[] request = [.. head, .. value, .. "\r\n\r\n"u8, .. Encoding.UTF8.GetBytes(body)];

            RawHttp.Answer answer = await RawHttp.SendAsync(_godex.App.BaseUrl, request, Ct);

            if (answer.Status == 400)
            {
                // Refused at the door (Kestrel rejects bytes outside ASCII in a header): a clear 400 in the door's shape.
                Assert.Equal("invalid_request_error", RawHttp.Error(answer, anthropic).Type);
                Assert.Equal(before, _upstream.Requests.Count);
                continue;
            }

            Assert.True(answer.Status == 200, $"{header}: {answer.Status} {answer.Body}");
            string sent = LastUpstreamRequest();
            AssertNoClientMadeHeader(sent);
            Assert.DoesNotContain("beta-", sent, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ForwardedHeaders))]
    public async Task ForwardedClientHeader_ThatIsSafe_IsForwarded(string path, string model, string header)
    {
        // The positive control for the test above.
        string body = PassthroughBody(path, model);
        string value = header == "anthropic-version" ? "2023-06-01" : "safe-value-1";

        RawHttp.Answer answer = await RawHttp.SendAsync(_godex.App.BaseUrl, RawHttp.Post(path, body, $"Connection: close\r\n{header}: {value}\r\n"), Ct);

        Assert.Equal(200, answer.Status);
        string sent = LastUpstreamRequest();
        AssertNoClientMadeHeader(sent);
        Assert.Matches(new Regex($"\r\n{Regex.Escape(header)}: [^\r\n]*{Regex.Escape(value)}", RegexOptions.IgnoreCase), sent);
    }

    /// <summary>A body each door passes through as is (a Responses body with Chat fields would be translated instead).</summary>
    private static string PassthroughBody(string path, string model) => path == "/v1/responses"
        ? $$"""{"model":"{{model}}","stream":true,"store":false,"input":"hi"}"""
        : $$"""{"model":"{{model}}","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private Task<RawHttp.Answer> SendAsync(string path, string body) =>
        RawHttp.SendAsync(_godex.App.BaseUrl, RawHttp.Post(path, body, "Connection: close\r\n"), Ct);

    private string LastUpstreamRequest()
    {
        string[] all = [.. _upstream.Requests];
        Assert.NotEmpty(all);
        return all[^1];
    }

    /// <summary>
    /// One request on the connection, and a head of well-formed header lines, printable ASCII only, none the client
    /// made: what a header built from unvalidated client text would break.
    /// </summary>
    private static void AssertNoClientMadeHeader(string sent)
    {
        int end = sent.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, "no complete request head");
        string[] lines = sent[..end].Split("\r\n");
        Assert.Matches(RequestLine(), lines[0]);
        foreach (string line in lines.Skip(1))
        {
            Assert.Matches(HeaderLine(), line);
            Assert.False(line.StartsWith("X-Injected", StringComparison.OrdinalIgnoreCase), "a client-made header reached the upstream: " + line);
        }

        Assert.Single(RequestLineAnywhere().Matches(sent));
    }

    [GeneratedRegex(@"^POST /[!-~]* HTTP/1\.1$")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [ -~]*$")]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"(^|\n)(GET|POST|PUT|DELETE|HEAD) /")]
    private static partial Regex RequestLineAnywhere();

    [GeneratedRegex(@"\r\nsession_id: [0-9A-Za-z_\-]+\r\n")]
    private static partial Regex SessionHeader();
}
