using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Godex.Core.Configuration;

namespace Godex.Core.Payments.Lnd;

/// <summary>
/// An LND node over its REST API (the grpc-gateway of <c>lnrpc.Lightning</c>): <c>POST /v1/invoices</c> to issue an
/// invoice, <c>GET /v1/invoice/{r_hash_hex}</c> to look one up. It authenticates with an invoice macaroon in the
/// <c>Grpc-Metadata-macaroon</c> header (hex) and trusts exactly one TLS certificate, the node's <c>tls.cert</c>
/// (LND's are self-signed): no system trust store, no hostname games. int64 fields arrive as JSON strings, as
/// grpc-gateway writes them; numbers are accepted too.
/// </summary>
public sealed class LndRestClient : ILightningBackend, IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public LndRestClient(Uri baseUrl, byte[] macaroon, X509Certificate2? pinnedCertificate, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(macaroon);
        _time = time ?? TimeProvider.System;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (pinnedCertificate is not null)
        {
            byte[] pinned = pinnedCertificate.RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetRawCertData(), pinned);
        }

        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/"), Timeout = s_timeout };
        _http.DefaultRequestHeaders.Add("Grpc-Metadata-macaroon", Convert.ToHexStringLower(macaroon));
    }

    /// <summary>Builds a client from <c>proxy.payments.lnd</c>; missing or unreadable files are a <see cref="ConfigException"/>.</summary>
    public static LndRestClient FromOptions(LightningOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Url is null)
        {
            throw new ConfigException("proxy.payments.enabled needs a Lightning node: set proxy.payments.lnd.url (or proxy.payments.token_meter_url)");
        }

        var url = new Uri(options.Url);
        if (options.MacaroonPath is null)
        {
            throw new ConfigException("proxy.payments.lnd.macaroon_path is required (LND's invoice.macaroon)");
        }

        byte[] macaroon = ReadMacaroon(Storage.GodexDatabase.ExpandHome(options.MacaroonPath));
        X509Certificate2? certificate = null;
        if (url.Scheme == Uri.UriSchemeHttps)
        {
            if (options.TlsCertPath is null)
            {
                throw new ConfigException("proxy.payments.lnd.tls_cert_path is required for an https node (LND's tls.cert)");
            }

            certificate = ReadCertificate(Storage.GodexDatabase.ExpandHome(options.TlsCertPath));
        }

        return new LndRestClient(url, macaroon, certificate, time);
    }

    public async Task<LightningInvoice> CreateInvoiceAsync(long amountSat, string memo, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("value"u8, amountSat.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("memo"u8, memo);
            writer.WriteString("expiry"u8, ((long)expiry.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        DateTimeOffset created = _time.GetUtcNow();
        using JsonDocument answer = await SendAsync(HttpMethod.Post, "v1/invoices", content, cancellationToken);
        JsonElement root = answer.RootElement;
        byte[] hash = Bytes(root, "r_hash");
        string request = root.TryGetProperty("payment_request", out JsonElement pr) && pr.ValueKind == JsonValueKind.String ? pr.GetString()! : "";
        if (hash.Length != 32 || request.Length == 0)
        {
            throw new LightningException("the Lightning node's invoice has no r_hash or payment_request");
        }

        return new LightningInvoice(hash, request, amountSat, created + expiry);
    }

    public async Task<LightningInvoiceStatus?> LookupInvoiceAsync(ReadOnlyMemory<byte> paymentHash, CancellationToken cancellationToken)
    {
        try
        {
            using JsonDocument answer = await SendAsync(HttpMethod.Get, "v1/invoice/" + Convert.ToHexStringLower(paymentHash.Span), null, cancellationToken);
            JsonElement root = answer.RootElement;
            LightningInvoiceState state = (root.TryGetProperty("state", out JsonElement s) ? s.GetString() : null) switch
            {
                "SETTLED" => LightningInvoiceState.Settled,
                "CANCELED" => LightningInvoiceState.Canceled,
                "ACCEPTED" => LightningInvoiceState.Accepted,
                _ => LightningInvoiceState.Open,
            };
            long settledAt = Int64(root, "settle_date");
            return new LightningInvoiceStatus(state, Int64(root, "amt_paid_sat"), settledAt > 0 ? DateTimeOffset.FromUnixTimeSeconds(settledAt) : null);
        }
        catch (LightningNotFoundException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new LightningException($"the Lightning node at {_http.BaseAddress} is unreachable: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LightningException($"the Lightning node at {_http.BaseAddress} did not answer within {s_timeout.TotalSeconds:0} s", ex);
        }

        using (response)
        {
            byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string message = Encoding.UTF8.GetString(bytes);
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound || message.Contains("unable to locate invoice", StringComparison.Ordinal))
                {
                    throw new LightningNotFoundException();
                }

                throw new LightningException($"the Lightning node answered {(int)response.StatusCode}: {message[..Math.Min(message.Length, 300)]}");
            }

            try
            {
                return JsonDocument.Parse(bytes);
            }
            catch (JsonException ex)
            {
                throw new LightningException("the Lightning node answered with invalid JSON", ex);
            }
        }
    }

    private static byte[] Bytes(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            return [];
        }

        string text = value.GetString()!;
        try
        {
            return text.Length == 64 && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/'));
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static long Int64(JsonElement root, string name) =>
        !root.TryGetProperty(name, out JsonElement value) ? 0
        : value.ValueKind == JsonValueKind.Number ? value.GetInt64()
        : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) ? parsed
        : 0;

    private static byte[] ReadMacaroon(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"proxy.payments.lnd.macaroon_path: cannot read {path}: {ex.Message}");
        }

        // LND writes binary macaroons; a hex dump of one (as `xxd -p` or lncli print) works too.
        string text = Encoding.ASCII.GetString(bytes).Trim();
        return text.Length > 0 && text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : bytes;
    }

    private static X509Certificate2 ReadCertificate(string path)
    {
        try
        {
            string text = File.ReadAllText(path);
            return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigException($"proxy.payments.lnd.tls_cert_path: cannot read a certificate from {path}: {ex.Message}");
        }
    }

    private sealed class LightningNotFoundException : Exception;
}
