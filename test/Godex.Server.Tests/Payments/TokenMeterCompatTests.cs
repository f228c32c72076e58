using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Godex.Server.Tests.EndToEnd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Tests.Payments;

/// <summary>The original's token-meter mode (godex-original §2.6): challenges, redemptions and pricing relayed.</summary>
public sealed class TokenMeterCompatTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ConcurrentQueue<(string Path, string Body)> _calls = new();
    private WebApplication _tokenMeter = null!;
    private GodexAppHarness _godex = null!;

    public async ValueTask InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _tokenMeter = builder.Build();
        _tokenMeter.MapPost("/l402/challenge", async context =>
        {
            _calls.Enqueue(("/l402/challenge", await new StreamReader(context.Request.Body).ReadToEndAsync()));
            context.Response.StatusCode = 402;
            context.Response.Headers.WWWAuthenticate = "L402 macaroon=\"bWFj\", invoice=\"lnbcrt1\"";
        });
        _tokenMeter.MapPost("/l402/redeem", async context =>
        {
            _calls.Enqueue(("/l402/redeem", await new StreamReader(context.Request.Body).ReadToEndAsync()));
            await context.Response.WriteAsync("""{"api_key":"gxk_paid","key_id":"key_1"}""");
        });
        _tokenMeter.MapGet("/v1/pricing", () => Microsoft.AspNetCore.Http.Results.Text("""{"status":"ok","prices":{}}""", "application/json"));
        await _tokenMeter.StartAsync(Ct);
        string url = _tokenMeter.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            o.Proxy.Payments.Enabled = true;
            o.Proxy.Payments.TokenMeterUrl = url;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _tokenMeter.DisposeAsync();
    }

    [Fact]
    public async Task NoKey_GetsTokenMetersChallenge_WithItsHeader_AndTheDefaultBody()
    {
        using var content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _godex.Http.PostAsync("/v1/chat/completions", content, Ct);

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("L402 macaroon=\"bWFj\", invoice=\"lnbcrt1\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("""{"error":{"message":"payment required"}}""", await response.Content.ReadAsStringAsync(Ct));
        Assert.True(_calls.TryDequeue(out (string Path, string Body) call));
        using JsonDocument sent = JsonDocument.Parse(call.Body);
        Assert.Equal("issue_key", sent.RootElement.GetProperty("purpose").GetString());
    }

    [Fact]
    public async Task L402Credential_IsRedeemedByTokenMeter_AndItsAnswerRelayed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "L402 bWFj:00ff");
        using HttpResponseMessage response = await _godex.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"api_key":"gxk_paid","key_id":"key_1"}""", await response.Content.ReadAsStringAsync(Ct));
        Assert.True(_calls.TryDequeue(out (string Path, string Body) call));
        Assert.Equal("/l402/redeem", call.Path);
        Assert.Contains("L402 bWFj:00ff", call.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pricing_IsRelayed_AndUnavailableWhenTokenMeterIsDown()
    {
        Assert.Equal("""{"status":"ok","prices":{}}""", await _godex.Http.GetStringAsync("/v1/pricing", Ct));

        await _tokenMeter.StopAsync(Ct);
        using HttpResponseMessage down = await _godex.Http.GetAsync("/v1/pricing", Ct);
        Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        Assert.Contains("token-meter not running", await down.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
