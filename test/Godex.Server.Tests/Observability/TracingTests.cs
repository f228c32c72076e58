using System.Diagnostics;
using System.Net;
using System.Text;
using Godex.Server.Tests.EndToEnd;
using static Godex.Server.Tests.Observability.ObservedRequests;

namespace Godex.Server.Tests.Observability;

/// <summary>OpenTelemetry traces over OTLP/HTTP from the real server to a real (minimal) receiver.</summary>
public sealed class TracingTests
{
    private const int ServerKind = 2;
    private const int ClientKind = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachRequest_IsOneTrace_WithGenAIAttributes_AndAnUpstreamChildSpan()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Tracing.Enabled = true;
            o.Proxy.Tracing.Endpoint = receiver.Endpoint.ToString();
            o.Proxy.Tracing.Headers = "x-collector-tenant=godex-tests";
        });

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MessagesAsync(godex)).StatusCode);
        const string ClientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions"))
        {
            request.Content = new StringContent("""{"model":"gpt-5.2-codex","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
            request.Headers.Add("traceparent", $"00-{ClientTrace}-00f067aa0ba902b7-01");
            HttpResponseMessage streamed = await godex.Http.SendAsync(request, Ct);
            await streamed.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        }

        var waited = Stopwatch.StartNew();
        while (receiver.Spans.Count < 6 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, Ct);
        }

        ReceivedSpan[] spans = [.. receiver.Spans];
        ReceivedSpan[] servers = [.. spans.Where(s => s.Kind == ServerKind)];
        Assert.Equal(3, servers.Length);
        Assert.Equal(3, servers.Select(s => s.TraceId).Distinct().Count());
        Assert.Contains(servers, s => s.TraceId == ClientTrace && s.ParentSpanId == "00f067aa0ba902b7");
        foreach (ReceivedSpan server in servers)
        {
            Assert.Equal("chat", server.Attributes["gen_ai.operation.name"]);
            Assert.True((long)server.Attributes["gen_ai.usage.input_tokens"] > 0);
            Assert.True((long)server.Attributes["gen_ai.usage.output_tokens"] > 0);
            Assert.Equal(200L, server.Attributes["http.response.status_code"]);
            Assert.Equal(server.Attributes["gen_ai.request.model"], server.Attributes["gen_ai.response.model"]);
            ReceivedSpan upstream = Assert.Single(spans, s => s.Kind == ClientKind && s.TraceId == server.TraceId);
            Assert.Equal(server.SpanId, upstream.ParentSpanId);
            Assert.Equal(server.Attributes["gen_ai.request.model"], upstream.Attributes["gen_ai.request.model"]);
            Assert.Equal(server.Attributes["gen_ai.provider.name"], upstream.Attributes["gen_ai.provider.name"]);
            Assert.Equal(200L, upstream.Attributes["http.response.status_code"]);
        }

        Assert.Contains(servers, s => (string)s.Attributes["gen_ai.request.model"] == "claude-sonnet-4-5" && (string)s.Attributes["gen_ai.provider.name"] == "anthropic");
        Assert.Contains(servers, s => (string)s.Attributes["gen_ai.request.model"] == "gpt-5.2-codex" && (string)s.Attributes["gen_ai.provider.name"] == "openai");
        Assert.NotEmpty(receiver.Tenants);
        Assert.All(receiver.Tenants, tenant => Assert.Equal("godex-tests", tenant));
    }

    [Fact]
    public async Task SampleRatioZero_ExportsNothingNew_ButFollowsASampledClientTrace()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        await using GodexAppHarness godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Tracing.Enabled = true;
            o.Proxy.Tracing.Endpoint = receiver.Endpoint.ToString();
            o.Proxy.Tracing.SampleRatio = 0;
        });

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(godex)).StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions"))
        {
            request.Content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
            request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            Assert.Equal(HttpStatusCode.OK, (await godex.Http.SendAsync(request, Ct)).StatusCode);
        }

        var waited = Stopwatch.StartNew();
        while (receiver.Spans.Count < 2 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, Ct);
        }

        await Task.Delay(1500, Ct); // one more export interval: nothing from the unsampled request may follow
        Assert.Equal(2, receiver.Spans.Count);
        Assert.All(receiver.Spans, s => Assert.Equal("0af7651916cd43dd8448eb211c80319c", s.TraceId));
    }
}
