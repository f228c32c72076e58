using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Core.Backends;
using Godex.Core.Backends.Codex;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Dialects;
using Godex.Core.Dialects.Responses;
using Godex.Core.Routing;
using Godex.Server.FrontDoors;
using Godex.Server.Tests.EndToEnd;
using Godex.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Server.Tests.Passthrough;

/// <summary>
/// Same-dialect Responses requests to the Codex backend: a real CodexBackend (credentials, headers, retries) sends
/// to a recording upstream on 127.0.0.1, and the Responses front door's relay (<see cref="FrontDoorRelay"/>) serves on another.
/// </summary>
public sealed class CodexPassthroughTests : IAsyncLifetime
{
    private const string RecordedStream = "openai-responses-real/o3-function-call.stream.sse";

    private FixtureUpstream _upstream = null!;
    private KestrelTestHost _front = null!;
    private HttpClient _upstreamHttp = null!;
    private string _home = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FixtureUpstream.StartAsync();
        _home = Directory.CreateTempSubdirectory("godex-passthrough-").FullName;
        string authPath = Path.Combine(_home, "auth.json");
        await File.WriteAllTextAsync(authPath, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""", TestContext.Current.CancellationToken);
        var options = new CodexBackendOptions
        {
            BaseUrl = _upstream.BaseUrl.ToString().TrimEnd('/') + "/backend-api/codex",
            AuthPath = authPath,
            RetryMax = 0,
            IdleTimeout = TimeSpan.FromSeconds(10),
        };
        _upstreamHttp = UpstreamHttp.CreateClient(options);
        var backend = new CodexBackend(options, _upstreamHttp, new CodexCredentialStore(options, _upstreamHttp, TimeProvider.System), TimeProvider.System, NullLogger<CodexBackend>.Instance);
        var route = new ModelRoute(backend, "gpt-5.2-codex", "codex");
        _front = await KestrelTestHost.StartAsync(_ => { }, app => app.MapPost("/v1/responses", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            if (ResponsesRequestReader.PeekStateless(body.ToArray(), route.Model) is not { } peeked)
            {
                context.Response.StatusCode = StatusCodes.Status501NotImplemented;
                return;
            }

            var request = new PassthroughRequest(WireDialect.Responses, body.ToArray(), route.Model, peeked.Stream)
            {
                Headers = FrontDoorHandling.ForwardedHeaders(context, backend, FrontDoor.Responses),
            };
            await FrontDoorRelay.RelayAsync(context, FrontDoor.Responses, NullLogger.Instance, route, backend, request);
        }), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _front.DisposeAsync();
        _upstreamHttp.Dispose();
        await _upstream.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    private static string CodexCliBody(string file = "codex-request.json")
    {
        using JsonDocument capture = JsonDocument.Parse(Fixtures.Text("captured-clients/" + file));
        return capture.RootElement.GetProperty("body").GetRawText();
    }

    private async Task<(HttpStatusCode Status, byte[] Body, string? ContentType)> PostAsync(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _front.Client.PostAsync("v1/responses", content, TestContext.Current.CancellationToken);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, bytes, response.Content.Headers.ContentType?.MediaType);
    }

    private JsonDocument ForwardedBody()
    {
        Assert.True(_upstream.Requests.TryDequeue(out string? forwarded));
        return JsonDocument.Parse(forwarded);
    }

    [Fact]
    public async Task CodexCliTurn_StreamsUpstreamBytesUnchanged()
    {
        byte[] recorded = Fixtures.Bytes(RecordedStream);
        _upstream.Enqueue(recorded);

        (HttpStatusCode status, byte[] body, string? contentType) = await PostAsync(CodexCliBody());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/event-stream", contentType);
        // Byte for byte, except that the recording's last event (which ends with one newline, never dispatched by a
        // spec-following SSE parser) gets its closing blank line.
        Assert.EndsWith("\n", System.Text.Encoding.UTF8.GetString(recorded), StringComparison.Ordinal);
        Assert.False(System.Text.Encoding.UTF8.GetString(recorded).EndsWith("\n\n", StringComparison.Ordinal));
        Assert.Equal([.. recorded, (byte)'\n'], body);
    }

    [Fact]
    public async Task ForwardedBody_KeepsUnknownFields_DropsRejectedOnes_RewritesModel()
    {
        _upstream.Enqueue(Fixtures.Bytes(RecordedStream));
        const string Body = """
            {"model":"codex","stream":true,"store":false,"input":[{"type":"message","role":"developer","content":"be brief"},{"role":"user","content":"hi"}],
             "client_metadata":{"thread_id":"t1"},"x_future_field":{"nested":[1,2,3]},"text":{"verbosity":"low"},
             "tools":[{"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"start: x"}}],
             "max_output_tokens":100,"temperature":0.2,"top_p":0.9,"truncation":"auto","user":"u","metadata":{"a":"b"},
             "service_tier":"auto","prompt_cache_retention":"24h","safety_identifier":"s","stream_options":{"include_obfuscation":false},
             "include":["message.output_text.logprobs"]}
            """;

        (HttpStatusCode status, _, _) = await PostAsync(Body);

        Assert.Equal(HttpStatusCode.OK, status);
        using JsonDocument forwarded = ForwardedBody();
        JsonElement root = forwarded.RootElement;
        Assert.Equal("gpt-5.2-codex", root.GetProperty("model").GetString());
        Assert.False(root.GetProperty("store").GetBoolean());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.Equal(string.Empty, root.GetProperty("instructions").GetString()); // the developer message carries them
        Assert.Equal(["message.output_text.logprobs", "reasoning.encrypted_content"], root.GetProperty("include").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("""{"nested":[1,2,3]}""", root.GetProperty("x_future_field").GetRawText());
        Assert.Equal("""{"thread_id":"t1"}""", root.GetProperty("client_metadata").GetRawText());
        Assert.Equal("custom", root.GetProperty("tools")[0].GetProperty("type").GetString());
        foreach (string rejected in new[] { "max_output_tokens", "temperature", "top_p", "truncation", "user", "metadata", "service_tier", "prompt_cache_retention", "safety_identifier", "stream_options", "previous_response_id" })
        {
            Assert.False(root.TryGetProperty(rejected, out _), rejected + " was forwarded");
        }
    }

    [Fact]
    public async Task SecondTurn_EchoedEncryptedReasoningAndToolCall_ReachUpstreamUnchanged()
    {
        _upstream.Enqueue(Fixtures.Bytes(RecordedStream));
        string body = CodexCliBody("codex-request-turn2-function-call-output.json");
        using JsonDocument client = JsonDocument.Parse(body);

        await PostAsync(body);

        using JsonDocument forwarded = ForwardedBody();
        JsonElement[] sent = [.. client.RootElement.GetProperty("input").EnumerateArray()];
        JsonElement[] received = [.. forwarded.RootElement.GetProperty("input").EnumerateArray()];
        Assert.Equal(sent.Length, received.Length);
        for (int i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i].GetRawText(), received[i].GetRawText());
        }

        JsonElement reasoning = received.Single(item => item.GetProperty("type").GetString() == "reasoning");
        Assert.Equal("ZmFrZS1lbmNyeXB0ZWQtcmVhc29uaW5n", reasoning.GetProperty("encrypted_content").GetString());
        Assert.Equal(client.RootElement.GetProperty("client_metadata").GetRawText(), forwarded.RootElement.GetProperty("client_metadata").GetRawText());
    }

    [Fact]
    public async Task NonStreamCaller_GetsResponseObjectRebuiltFromOutputItems()
    {
        // The recorded response.completed carries its output; an empty one is rebuilt from output_item.done.
        string recorded = Fixtures.Text(RecordedStream);
        _upstream.Enqueue(Encoding.UTF8.GetBytes(EmptyCompletedOutput(recorded)));

        (HttpStatusCode status, byte[] body, string? contentType) = await PostAsync("""{"model":"codex","store":false,"input":"what is the weather?"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", contentType);
        using JsonDocument response = JsonDocument.Parse(body);
        Assert.Equal("completed", response.RootElement.GetProperty("status").GetString());
        JsonElement[] output = [.. response.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal(["reasoning", "function_call"], output.Select(o => o.GetProperty("type").GetString()));
        using JsonDocument forwarded = ForwardedBody();
        Assert.True(forwarded.RootElement.GetProperty("stream").GetBoolean());
        Assert.Equal("user", forwarded.RootElement.GetProperty("input")[0].GetProperty("role").GetString());
        Assert.Equal("You are a helpful assistant.", forwarded.RootElement.GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task UpstreamRefusal_BeforeFirstByte_IsOpenAIErrorWithUpstreamStatus()
    {
        _upstream.Enqueue("""{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":60}}"""u8.ToArray(), status: 429, contentType: "application/json");

        (HttpStatusCode status, byte[] body, _) = await PostAsync(CodexCliBody());

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        using JsonDocument error = JsonDocument.Parse(body);
        Assert.StartsWith("The usage limit has been reached", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("usage_limit_reached", error.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ErrorEventInsideA200Stream_BeforeOutput_BecomesHttpStatus()
    {
        _upstream.Enqueue(Encoding.UTF8.GetBytes(
            "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\n" +
            "event: error\ndata: {\"type\":\"error\",\"code\":\"server_is_overloaded\",\"message\":\"Our servers are currently overloaded.\"}\n\n"));

        (HttpStatusCode status, byte[] body, _) = await PostAsync(CodexCliBody());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("overloaded", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamCutBeforeCompleted_ForwardsWholeEventsThenAnErrorEvent()
    {
        string recorded = Fixtures.Text(RecordedStream);
        int cut = recorded.IndexOf("event: response.function_call_arguments.done", StringComparison.Ordinal);
        string head = recorded[..cut];
        _upstream.Enqueue(Encoding.UTF8.GetBytes(head + "event: response.output_item.done\ndata: {\"type\":\"resp")); // a torn event

        (HttpStatusCode status, byte[] body, _) = await PostAsync(CodexCliBody());

        Assert.Equal(HttpStatusCode.OK, status);
        string text = Encoding.UTF8.GetString(body);
        Assert.StartsWith(head, text, StringComparison.Ordinal);
        string tail = text[head.Length..];
        Assert.StartsWith("event: error\ndata: ", tail, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", tail, StringComparison.Ordinal);
    }

    [Fact]
    public void RewriteBody_DropsExpandedPreviousResponseId_AndKeepsPriorityTier()
    {
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"x","previous_response_id":"resp_1","service_tier":"priority","instructions":"be kind","input":[]}""");

        Assert.True(CodexPassthroughBody.TryRewrite(body, "gpt-5.5", "default", withConversationStart: false, out CodexForwardBody forward));
        using JsonDocument rewritten = JsonDocument.Parse(forward.Body);

        Assert.False(rewritten.RootElement.TryGetProperty("previous_response_id", out _));
        Assert.Equal("priority", rewritten.RootElement.GetProperty("service_tier").GetString());
        Assert.Equal("be kind", rewritten.RootElement.GetProperty("instructions").GetString());
        Assert.Equal("gpt-5.5", rewritten.RootElement.GetProperty("model").GetString());
    }

    // Replaces the output array of the recorded response.completed with [] (the backend sometimes sends it so).
    private static string EmptyCompletedOutput(string stream)
    {
        var lines = stream.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("data: {\"type\":\"response.completed\"", StringComparison.Ordinal))
            {
                using JsonDocument completed = JsonDocument.Parse(lines[i]["data: ".Length..]);
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writer.WriteString("type", "response.completed");
                    writer.WriteStartObject("response");
                    foreach (JsonProperty property in completed.RootElement.GetProperty("response").EnumerateObject())
                    {
                        if (property.NameEquals("output"))
                        {
                            writer.WriteStartArray("output");
                            writer.WriteEndArray();
                        }
                        else
                        {
                            property.WriteTo(writer);
                        }
                    }

                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                lines[i] = "data: " + Encoding.UTF8.GetString(buffer.WrittenSpan);
            }
        }

        return string.Join('\n', lines);
    }
}
