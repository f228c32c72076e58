using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Godex.Server.Tests.Hostile;

/// <summary>
/// Requests no HTTP client library would send (broken framing, stalled bodies, bad bytes), over a raw socket, and the
/// one answer they get: status and body (Content-Length bodies, which is how godex answers errors).
/// </summary>
internal static class RawHttp
{
    public sealed record Answer(int Status, string Head, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }

    public static Task<Answer> SendAsync(Uri server, string request, CancellationToken cancellationToken) =>
        SendAsync(server, Encoding.UTF8.GetBytes(request), cancellationToken);

    public static async Task<Answer> SendAsync(Uri server, byte[] request, CancellationToken cancellationToken, Func<Stream, Task>? thenSend = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        await using NetworkStream stream = client.GetStream();
        await stream.WriteAsync(request, cancellationToken);
        if (thenSend is not null)
        {
            await thenSend(stream);
        }

        var received = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int headEnd = -1;
        int length = -1;
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            string text = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
            if (headEnd < 0 && (headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                string lengthLine = text[..headEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) ?? "Content-Length: -1";
                length = int.Parse(lengthLine.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }

            if (headEnd >= 0 && length >= 0 && received.Length >= headEnd + 4 + length)
            {
                break;
            }
        }

        string all = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
        int end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string head = end < 0 ? all : all[..end];
        string body = end < 0 ? "" : all[(end + 4)..];
        int status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Answer(status, head, body);
    }

    public static string Post(string path, string body, string extraHeaders = "") =>
        $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extraHeaders}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    /// <summary>The error of an Anthropic-shaped body, or of an OpenAI-shaped one: (type, message).</summary>
    public static (string Type, string Message) Error(Answer answer, bool anthropic)
    {
        JsonElement json = answer.Json;
        if (anthropic)
        {
            Assert.Equal("error", json.GetProperty("type").GetString());
        }

        JsonElement error = json.GetProperty("error");
        return (error.GetProperty("type").GetString()!, error.GetProperty("message").GetString()!);
    }
}
