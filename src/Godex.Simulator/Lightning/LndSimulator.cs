using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Godex.Core.Payments.Macaroons;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godex.Simulator.Lightning;

/// <summary>
/// A Lightning node for tests and demos that speaks LND's REST API on 127.0.0.1 over HTTPS: <c>POST /v1/invoices</c>
/// issues real BOLT11 invoices (signed by the node key, whose public key <c>GET /v1/getinfo</c> reports),
/// <c>GET /v1/invoice/{r_hash_hex}</c> reports their state, and
/// <c>POST /v1/channels/transactions</c> (LND's SendPaymentSync) "pays" one of its own invoices on demand: it settles it
/// and returns the preimage, as a payer's node would. At start it writes what a real node gives its clients into
/// <see cref="Directory"/>: <c>tls.cert</c> (a fresh self-signed certificate, so certificate pinning is exercised for
/// real) and <c>invoice.macaroon</c> (required in <c>Grpc-Metadata-macaroon</c>).
/// </summary>
internal sealed class LndSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, Invoice> _invoices = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly byte[] _nodeKey = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _time;
    private long _addIndex;

    private LndSimulator(WebApplication app, string directory, byte[] macaroon, TimeProvider time)
    {
        _app = app;
        Directory = directory;
        Macaroon = macaroon;
        _time = time;
        NodePublicKey = Secp256k1.PublicKey(_nodeKey);
    }

    private sealed class Invoice(byte[] preimage, byte[] hash, string request, long valueSat, string memo, DateTimeOffset created, TimeSpan expiry)
    {
        public byte[] Preimage { get; } = preimage;

        public byte[] Hash { get; } = hash;

        public string Request { get; } = request;

        public long ValueSat { get; } = valueSat;

        public string Memo { get; } = memo;

        public DateTimeOffset Created { get; } = created;

        public TimeSpan Expiry { get; } = expiry;

        public DateTimeOffset? SettledAt { get; set; }
    }

    /// <summary>The node's REST root, e.g. <c>https://127.0.0.1:41234</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Where <c>tls.cert</c> and <c>invoice.macaroon</c> are.</summary>
    public string Directory { get; }

    public string TlsCertPath => Path.Combine(Directory, "tls.cert");

    public string MacaroonPath => Path.Combine(Directory, "invoice.macaroon");

    public byte[] Macaroon { get; }

    /// <summary>The 33-byte compressed key invoices are signed with (BOLT11 decoders recover it).</summary>
    public byte[] NodePublicKey { get; }

    public static async Task<LndSimulator> StartAsync(string directory, int port, TimeProvider? time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        System.IO.Directory.CreateDirectory(directory);
        TimeProvider clock = time ?? TimeProvider.System;
        using X509Certificate2 certificate = CreateCertificate(clock.GetUtcNow());
        await File.WriteAllTextAsync(Path.Combine(directory, "tls.cert"), certificate.ExportCertificatePem(), cancellationToken);
        Core.Payments.Macaroons.Macaroon minted = Core.Payments.Macaroons.Macaroon.Mint(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(16), "lnd");
        minted.AddFirstPartyCaveat("permissions=invoices:read,invoices:write");
        byte[] macaroon = MacaroonCodec.Encode(minted);
        await File.WriteAllBytesAsync(Path.Combine(directory, "invoice.macaroon"), macaroon, cancellationToken);

        // Kestrel keeps its own copy; an ephemeral-key certificate must be re-imported to carry its private key.
        X509Certificate2 serving = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(serving)));
        WebApplication app = builder.Build();
        var node = new LndSimulator(app, directory, macaroon, clock);
        app.Use((context, next) => node.Authorized(context) ? next(context) : RefuseAsync(context));
        app.MapGet("/v1/getinfo", node.GetInfoAsync);
        app.MapPost("/v1/invoices", node.AddInvoiceAsync);
        app.MapGet("/v1/invoice/{hash}", node.LookupAsync);
        app.MapPost("/v1/channels/transactions", node.PayAsync);
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        node.BaseUrl = new Uri(address);
        return node;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>Pays one of this node's invoices (what <c>POST /v1/channels/transactions</c> does); the preimage, or an LND error message.</summary>
    public (byte[]? Preimage, string Error) Pay(string paymentRequest)
    {
        lock (_lock)
        {
            Invoice? invoice = _invoices.Values.FirstOrDefault(i => i.Request == paymentRequest);
            if (invoice is null)
            {
                return (null, "unable to find a path to destination");
            }

            if (invoice.SettledAt is not null)
            {
                return (null, "invoice is already paid");
            }

            if (_time.GetUtcNow() > invoice.Created + invoice.Expiry)
            {
                return (null, "invoice expired");
            }

            invoice.SettledAt = _time.GetUtcNow();
            return (invoice.Preimage, "");
        }
    }

    private bool Authorized(HttpContext context) =>
        context.Request.Headers["Grpc-Metadata-macaroon"].ToString() is { Length: > 0 } presented
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(presented.ToLowerInvariant()), System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(Macaroon)));

    private static Task RefuseAsync(HttpContext context) => Error(context, StatusCodes.Status401Unauthorized, 2, "verification failed: signature mismatch after caveat verification");

    private Task GetInfoAsync(HttpContext context) =>
        SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("identity_pubkey"u8, Convert.ToHexStringLower(NodePublicKey));
            w.WriteString("alias"u8, "godex-lnd-simulator"u8);
            w.WriteBoolean("synced_to_chain"u8, true);
            w.WriteStartArray("chains"u8);
            w.WriteStartObject();
            w.WriteString("chain"u8, "bitcoin"u8);
            w.WriteString("network"u8, "regtest"u8);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });

    private async Task AddInvoiceAsync(HttpContext context)
    {
        long value;
        string memo;
        long expirySeconds;
        try
        {
            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            value = Int64(body.RootElement, "value");
            memo = body.RootElement.TryGetProperty("memo", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            expirySeconds = Int64(body.RootElement, "expiry") is > 0 and var e ? e : 86400;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            await Error(context, StatusCodes.Status400BadRequest, 3, "invalid invoice request: " + ex.Message);
            return;
        }

        if (value <= 0)
        {
            await Error(context, StatusCodes.Status400BadRequest, 3, "amount must be positive");
            return;
        }

        byte[] preimage = RandomNumberGenerator.GetBytes(32);
        byte[] hash = SHA256.HashData(preimage);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        DateTimeOffset now = _time.GetUtcNow();
        string request = Bolt11Invoice.Encode(value, hash, secret, memo, TimeSpan.FromSeconds(expirySeconds), now, _nodeKey);
        long index;
        lock (_lock)
        {
            _invoices[Convert.ToHexStringLower(hash)] = new Invoice(preimage, hash, request, value, memo, now, TimeSpan.FromSeconds(expirySeconds));
            index = ++_addIndex;
        }

        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("r_hash"u8, Convert.ToBase64String(hash));
            w.WriteString("payment_request"u8, request);
            w.WriteString("add_index"u8, index.ToString(CultureInfo.InvariantCulture));
            w.WriteString("payment_addr"u8, Convert.ToBase64String(secret));
            w.WriteEndObject();
        });
    }

    private Task LookupAsync(HttpContext context, string hash)
    {
        Invoice? invoice;
        lock (_lock)
        {
            _invoices.TryGetValue(hash.ToLowerInvariant(), out invoice);
        }

        if (invoice is null)
        {
            return Error(context, StatusCodes.Status404NotFound, 5, "unable to locate invoice");
        }

        DateTimeOffset? settled = invoice.SettledAt;
        string state = settled is not null ? "SETTLED" : _time.GetUtcNow() > invoice.Created + invoice.Expiry ? "CANCELED" : "OPEN";
        return SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("memo"u8, invoice.Memo);
            w.WriteString("r_preimage"u8, Convert.ToBase64String(invoice.Preimage));
            w.WriteString("r_hash"u8, Convert.ToBase64String(invoice.Hash));
            w.WriteString("value"u8, invoice.ValueSat.ToString(CultureInfo.InvariantCulture));
            w.WriteBoolean("settled"u8, settled is not null);
            w.WriteString("creation_date"u8, invoice.Created.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            w.WriteString("settle_date"u8, (settled?.ToUnixTimeSeconds() ?? 0).ToString(CultureInfo.InvariantCulture));
            w.WriteString("payment_request"u8, invoice.Request);
            w.WriteString("expiry"u8, ((long)invoice.Expiry.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            w.WriteString("amt_paid_sat"u8, (settled is not null ? invoice.ValueSat : 0).ToString(CultureInfo.InvariantCulture));
            w.WriteString("amt_paid_msat"u8, (settled is not null ? invoice.ValueSat * 1000 : 0).ToString(CultureInfo.InvariantCulture));
            w.WriteString("state"u8, state);
            w.WriteEndObject();
        });
    }

    private async Task PayAsync(HttpContext context)
    {
        string request;
        try
        {
            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            request = body.RootElement.GetProperty("payment_request").GetString() ?? "";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await Error(context, StatusCodes.Status400BadRequest, 3, "payment_request is required");
            return;
        }

        (byte[]? preimage, string error) = Pay(request);
        await SimulatorHttp.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("payment_error"u8, error);
            w.WriteString("payment_preimage"u8, preimage is null ? "" : Convert.ToBase64String(preimage));
            w.WriteString("payment_hash"u8, preimage is null ? "" : Convert.ToBase64String(SHA256.HashData(preimage)));
            w.WriteEndObject();
        });
    }

    private static Task Error(HttpContext context, int status, int code, string message) =>
        SimulatorHttp.WriteJsonAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("code"u8, code);
            w.WriteString("message"u8, message);
            w.WriteStartArray("details"u8);
            w.WriteEndArray();
            w.WriteEndObject();
        });

    private static long Int64(JsonElement root, string name) =>
        !root.TryGetProperty(name, out JsonElement value) ? 0
        : value.ValueKind == JsonValueKind.Number ? value.GetInt64()
        : long.Parse(value.GetString() ?? "0", NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static X509Certificate2 CreateCertificate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=godex lnd simulator, O=lnd autogenerated cert", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }
}
