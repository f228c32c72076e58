using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Godex.TestUtilities;

namespace Godex.Server.Tests.Hostile;

/// <summary>
/// An upstream on 127.0.0.1:0 that keeps every byte godex writes to it, read straight off the socket: no HTTP server
/// parses (or rejects) the request first, so an injected header or a second, smuggled request would be seen as sent.
/// It answers the Codex and Anthropic endpoints with recorded streams (or a token count) and closes each connection.
/// </summary>
internal sealed class RawCaptureUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly byte[] _codex = Fixtures.Bytes("openai-responses-real/o3-function-call.stream.sse");
    private readonly byte[] _anthropic = Fixtures.Bytes("anthropic-sdk-python/basic_response.sse");

    private RawCaptureUpstream()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri BaseUrl { get; }

    /// <summary>Every connection's bytes, as Latin-1 text (one char per byte: a non-ASCII byte stays visible).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static RawCaptureUpstream Start() => new();

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(20));
                NetworkStream stream = client.GetStream();
                var received = new MemoryStream();
                byte[] buffer = new byte[64 * 1024];
                int headEnd = -1;
                long bodyLength = 0;
                while (headEnd < 0 || received.Length < headEnd + 4 + bodyLength)
                {
                    int read = await stream.ReadAsync(buffer, timeout.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    received.Write(buffer, 0, read);
                    if (headEnd < 0 && (headEnd = Latin1(received).IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        bodyLength = ContentLength(Latin1(received)[..headEnd]);
                    }
                }

                // Anything more on the connection before the answer would be a second request the client smuggled in.
                using (var linger = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
                {
                    linger.CancelAfter(TimeSpan.FromMilliseconds(200));
                    try
                    {
                        int more;
                        while ((more = await stream.ReadAsync(buffer, linger.Token)) > 0)
                        {
                            received.Write(buffer, 0, more);
                        }
                    }
                    catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                    {
                        // Nothing more: the expected case.
                    }
                }

                string request = Latin1(received);
                Requests.Enqueue(request);
                (string type, byte[] body) = Answer(request);
                byte[] head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"HTTP/1.1 200 OK\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(body, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // godex hung up (a cancelled request): what it sent is kept only when complete.
            }
        }
    }

    private (string ContentType, byte[] Body) Answer(string request) =>
        request.StartsWith("POST /v1/messages/count_tokens ", StringComparison.Ordinal) ? ("application/json", """{"input_tokens":3}"""u8.ToArray())
        : request.StartsWith("POST /v1/messages ", StringComparison.Ordinal) ? ("text/event-stream", _anthropic)
        : ("text/event-stream", _codex);

    private static string Latin1(MemoryStream stream) => Encoding.Latin1.GetString(stream.GetBuffer(), 0, (int)stream.Length);

    private static long ContentLength(string head)
    {
        foreach (string line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
