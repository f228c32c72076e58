using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Godex.Core.Metering;
using Godex.Core.Payments;
using Godex.Core.Payments.L402;
using Godex.Core.Payments.Lnd;
using Godex.Core.Payments.Macaroons;
using Godex.Server.Tests.EndToEnd;
using Godex.Simulator.Lightning;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Tests.Payments;

/// <summary>
/// L402 end to end: godex with <c>proxy.payments</c> in front of the simulated LND node (real HTTPS with a pinned
/// certificate, real BOLT11 invoices): 402 → pay → answer → metered → 402 again when the credit is spent, and each
/// way a credential can be wrong.
/// </summary>
public sealed partial class L402EndToEndTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LndSimulator _lnd = null!;
    private GodexAppHarness _godex = null!;
    private string _dir = "";

    public async ValueTask InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("godex-l402-e2e-").FullName;
        _lnd = await LndSimulator.StartAsync(Path.Combine(_dir, "lnd"), 0, null, Ct);
        _godex = await GodexAppHarness.StartOnSimulatorAsync(o =>
        {
            UseLnd(o);
            o.Proxy.Payments.InvoiceSat = 10; // 10,000 msat of credit
            o.Proxy.Payments.DefaultPrice = new(0m, 0m, 4m); // 4 sat a request: two requests, then a 402 on the third
            o.Proxy.Payments.Prices.Add(new("claude-*", new(1m, 1m, 0m)));
        });
    }

    /// <summary>Payments on, against the simulated node, with this test's key ring and redeemed ledger.</summary>
    private void UseLnd(Godex.Core.Configuration.GodexOptions o)
    {
        o.Proxy.Payments.Enabled = true;
        o.Proxy.Payments.Lnd.Url = _lnd.BaseUrl.ToString();
        o.Proxy.Payments.Lnd.TlsCertPath = _lnd.TlsCertPath;
        o.Proxy.Payments.Lnd.MacaroonPath = _lnd.MacaroonPath;
        o.Proxy.Payments.MacaroonKeyPath = Path.Combine(_dir, "macaroon-keys.json");
        o.Proxy.Payments.RedeemedPath = Path.Combine(_dir, "l402-redeemed.jsonl");
    }

    public async ValueTask DisposeAsync()
    {
        await _godex.DisposeAsync();
        await _lnd.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<HttpResponseMessage> ChatAsync(string? authorization, string model = "gpt-5.2-codex", string path = "/v1/chat/completions")
    {
        string body = path == "/v1/messages"
            ? $$"""{"model":"{{model}}","max_tokens":50,"messages":[{"role":"user","content":"Say hello"}]}"""
            : $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Say hello"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await _godex.Http.SendAsync(request, Ct);
    }

    private async Task<(string Macaroon, string Invoice)> ChallengeAsync(string path = "/v1/chat/completions")
    {
        using HttpResponseMessage response = await ChatAsync(null, path: path);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        string[] challenges = response.Headers.WwwAuthenticate.Select(h => h.ToString()).ToArray();
        Assert.Contains(challenges, c => c.StartsWith("LSAT macaroon=", StringComparison.Ordinal));
        Match match = ChallengePattern().Match(challenges.Single(c => c.StartsWith("L402 ", StringComparison.Ordinal)));
        Assert.True(match.Success);
        return (match.Groups[1].Value, match.Groups[2].Value);
    }

    private static string Credential(string macaroon, byte[] preimage) => $"L402 {macaroon}:{Convert.ToHexStringLower(preimage)}";

    [Fact]
    public async Task Pay_Answer_Meter_ThenTopUp()
    {
        (string macaroon, string invoice) = await ChallengeAsync();
        Assert.StartsWith("lnbcrt100n1", invoice, StringComparison.Ordinal); // 10 sat = 100 nano-BTC
        (byte[]? preimage, string error) = _lnd.Pay(invoice);
        Assert.Equal("", error);

        using (HttpResponseMessage first = await ChatAsync(Credential(macaroon, preimage!)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Contains("Say hello", await first.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (HttpResponseMessage second = await ChatAsync(Credential(macaroon, preimage!)))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        // 2 × 4 sat spent of 10: 2 sat left, so the third request is still served and crosses the credit.
        using (HttpResponseMessage third = await ChatAsync(Credential(macaroon, preimage!)))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        }

        // Replayed after its credit: a new challenge (top-up), with a new invoice.
        using HttpResponseMessage spent = await ChatAsync(Credential(macaroon, preimage!));
        Assert.Equal(HttpStatusCode.PaymentRequired, spent.StatusCode);
        Assert.Contains("used up", await spent.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.DoesNotContain(invoice, spent.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        // Metered: three ledger rows under the token's key id; the credit is recorded as spent.
        Assert.True(L402Identifier.TryDecode(Decode(macaroon).Identifier, out L402Identifier? id));
        await ((UsageLedgerWriter)_godex.App.Services.GetRequiredService<IUsageRecorder>()).FlushAsync(Ct);
        IReadOnlyList<UsageRecord> rows = await _godex.App.Services.GetRequiredService<IUsageLedger>().ListAsync(null, id.KeyId, 100, Ct);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(200, r.Status));
        Assert.Equal(-2000, await _godex.App.Services.GetRequiredService<L402CreditLedger>().RemainingAsync(Convert.ToHexStringLower(id.PaymentHash), Ct));
        Assert.Single(File.ReadAllLines(Path.Combine(_dir, "l402-redeemed.jsonl")));
    }

    [Fact]
    public async Task Messages_Client_GetsTheChallengeInTheAnthropicShape()
    {
        using HttpResponseMessage response = await ChatAsync(null, "claude-sonnet-4-5", "/v1/messages");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("billing_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task WrongPreimage_Tampered_AndUnpaid_Are401WithTheReason()
    {
        (string macaroon, string invoice) = await ChallengeAsync();

        // Unpaid: the client guesses a preimage.
        using HttpResponseMessage guessed = await ChatAsync(Credential(macaroon, RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(HttpStatusCode.Unauthorized, guessed.StatusCode);
        Assert.Contains("preimage does not match", await guessed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Tampered: the credit caveat raised without the root key.
        byte[] preimage = _lnd.Pay(invoice).Preimage!;
        byte[] bytes = Convert.FromBase64String(macaroon);
        int at = bytes.AsSpan().IndexOf("godex_credit_msat=1"u8) + "godex_credit_msat=".Length;
        bytes[at] = (byte)'9';
        using HttpResponseMessage tampered = await ChatAsync(Credential(Convert.ToBase64String(bytes), preimage));
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Contains("signature is invalid", await tampered.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelCaveat_AttenuatedByTheHolder_RefusesOtherModels()
    {
        (string macaroon, string invoice) = await ChallengeAsync();
        byte[] preimage = _lnd.Pay(invoice).Preimage!;
        Macaroon narrowed = Decode(macaroon);
        narrowed.AddFirstPartyCaveat("godex_models=claude-*");
        string credential = Credential(MacaroonCodec.EncodeBase64(narrowed), preimage);

        using HttpResponseMessage refused = await ChatAsync(credential, "gpt-5.2-codex");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("does not allow the model `gpt-5.2-codex`", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using HttpResponseMessage allowed = await ChatAsync(credential, "claude-sonnet-4-5");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task ExpiredToken_And_RetiredRootKey_Are401()
    {
        (string macaroon, string invoice) = await ChallengeAsync();
        byte[] preimage = _lnd.Pay(invoice).Preimage!;
        Macaroon expired = Decode(macaroon);
        expired.AddFirstPartyCaveat("godex_valid_until=1700000000");
        using HttpResponseMessage late = await ChatAsync(Credential(MacaroonCodec.EncodeBase64(expired), preimage));
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
        Assert.Contains("expired", await late.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Retire the key that signed it (what --macaroon-retire does) and restart godex on the same files.
        var keys = MacaroonKeyRing.Open(Path.Combine(_dir, "macaroon-keys.json"), TimeProvider.System);
        string signer = keys.Current.Id;
        keys.Rotate();
        Assert.True(keys.Retire(signer));
        await using GodexAppHarness restarted = await GodexAppHarness.StartOnSimulatorAsync(UseLnd);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-5.2-codex","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", Credential(macaroon, preimage));
        using HttpResponseMessage retired = await restarted.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, retired.StatusCode);
        Assert.Contains("root key was retired", await retired.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pricing_IsOpen_AndStatesTheConfiguredPrices()
    {
        using HttpResponseMessage response = await _godex.Http.GetAsync("/v1/pricing", Ct);
        using JsonDocument pricing = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", pricing.RootElement.GetProperty("status").GetString());
        Assert.Equal(10, pricing.RootElement.GetProperty("invoice_sat").GetInt64());
        Assert.Equal(4, pricing.RootElement.GetProperty("default").GetProperty("request_sat").GetDecimal());
        Assert.Equal("claude-*", pricing.RootElement.GetProperty("prices")[0].GetProperty("model").GetString());
    }

    [Fact]
    public async Task LndClient_PinsTheNodeCertificate_AndSendsItsMacaroon()
    {
        using var client = LndRestClient.FromOptions(new() { Url = _lnd.BaseUrl.ToString(), TlsCertPath = _lnd.TlsCertPath, MacaroonPath = _lnd.MacaroonPath }, TimeProvider.System);
        LightningInvoice invoice = await client.CreateInvoiceAsync(21, "memo", TimeSpan.FromMinutes(5), Ct);
        Assert.Equal(LightningInvoiceState.Open, (await client.LookupInvoiceAsync(invoice.PaymentHash, Ct))!.State);
        _lnd.Pay(invoice.PaymentRequest);
        LightningInvoiceStatus settled = (await client.LookupInvoiceAsync(invoice.PaymentHash, Ct))!;
        Assert.Equal(LightningInvoiceState.Settled, settled.State);
        Assert.Equal(21, settled.AmountPaidSat);
        Assert.Equal("invoice is already paid", _lnd.Pay(invoice.PaymentRequest).Error);
        Assert.Null(await client.LookupInvoiceAsync(new byte[32], Ct));

        // Another certificate (a different self-signed one) is refused, even for the same address.
        string otherDir = Path.Combine(_dir, "other");
        await using LndSimulator other = await LndSimulator.StartAsync(otherDir, 0, null, Ct);
        using var pinnedToOther = LndRestClient.FromOptions(new() { Url = _lnd.BaseUrl.ToString(), TlsCertPath = Path.Combine(otherDir, "tls.cert"), MacaroonPath = _lnd.MacaroonPath }, TimeProvider.System);
        LightningException tls = await Assert.ThrowsAsync<LightningException>(() => pinnedToOther.CreateInvoiceAsync(1, "x", TimeSpan.FromMinutes(1), Ct));
        Assert.Contains("unreachable", tls.Message, StringComparison.Ordinal);

        // The wrong macaroon is the node's 401.
        using var wrongMacaroon = LndRestClient.FromOptions(new() { Url = _lnd.BaseUrl.ToString(), TlsCertPath = _lnd.TlsCertPath, MacaroonPath = Path.Combine(otherDir, "invoice.macaroon") }, TimeProvider.System);
        LightningException denied = await Assert.ThrowsAsync<LightningException>(() => wrongMacaroon.CreateInvoiceAsync(1, "x", TimeSpan.FromMinutes(1), Ct));
        Assert.Contains("401", denied.Message, StringComparison.Ordinal);
    }

    private static Macaroon Decode(string base64)
    {
        Assert.True(MacaroonCodec.TryDecodeBase64(base64, out Macaroon? macaroon, out string? error), error);
        return macaroon;
    }

    [GeneratedRegex("^L402 macaroon=\"([^\"]+)\", invoice=\"([^\"]+)\"$")]
    private static partial Regex ChallengePattern();
}
