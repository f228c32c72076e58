using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Payments;

/// <summary>
/// The original godex's payments (<c>proxy.payments.token_meter_url</c>), kept for operators who run its external
/// "token-meter" service: godex forwards 402 challenges, L402 redemptions and the pricing page to it and relays what
/// it answers (reference: godex-original §2.6). <c>unix:///path.sock</c> URLs go over a Unix socket.
/// </summary>
public sealed class TokenMeterGate : IDisposable
{
    private readonly HttpClient _http;

    public TokenMeterGate(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) };
        Uri baseAddress = url;
        if (url.Scheme == "unix")
        {
            string socket = url.AbsolutePath;
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await client.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellationToken);
                    return new NetworkStream(client, ownsSocket: true);
                }
                catch
                {
                    client.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri("http://token-meter/");
        }

        _http = new HttpClient(handler) { BaseAddress = new Uri(baseAddress.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A 402 from token-meter: <c>issue_key</c> for a client without a key, <c>topup</c> for a key whose balance is spent.</summary>
    public async Task ChallengeAsync(HttpContext context, string purpose, string? keyId, string? model)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body = Json(w =>
        {
            w.WriteString("purpose"u8, purpose);
            w.WriteString("key_id"u8, keyId ?? "");
            w.WriteString("model"u8, model ?? "");
            w.WriteString("auth_header"u8, context.Request.Headers.Authorization.ToString());
        });
        await RelayAsync(context, HttpMethod.Post, "l402/challenge", body, copyAuthenticate: true, emptyBody: """{"error":{"message":"payment required"}}""");
    }

    /// <summary>An <c>Authorization: L402 …</c> request: token-meter redeems it (and answers with an API key).</summary>
    public Task RedeemAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body = Json(w => w.WriteString("auth_header"u8, context.Request.Headers.Authorization.ToString()));
        return RelayAsync(context, HttpMethod.Post, "l402/redeem", body, copyAuthenticate: false, emptyBody: "");
    }

    /// <summary><c>GET /v1/pricing</c> from token-meter; when it is down, <c>200 {"status":"unavailable"}</c>.</summary>
    public async Task PricingAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            using HttpResponseMessage response = await _http.GetAsync("v1/pricing", context.RequestAborted);
            byte[] answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"status":"unavailable","message":"token-meter not running"}""", context.RequestAborted);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task RelayAsync(HttpContext context, HttpMethod method, string path, byte[] body, bool copyAuthenticate, string emptyBody)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        int status;
        byte[] answer;
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, context.RequestAborted);
            status = (int)response.StatusCode;
            answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            if (copyAuthenticate && response.Headers.WwwAuthenticate.Count > 0)
            {
                context.Response.Headers.WWWAuthenticate = response.Headers.WwwAuthenticate.Select(h => h.ToString()).ToArray();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            status = StatusCodes.Status402PaymentRequired;
            answer = Encoding.UTF8.GetBytes("""{"error":{"message":"payment required (token-meter unavailable)"}}""");
        }

        if (answer.Length == 0 && emptyBody.Length > 0)
        {
            answer = Encoding.UTF8.GetBytes(emptyBody);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
