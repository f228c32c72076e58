using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Godex.Server.Tests.Faults;

/// <summary>
/// An upstream that speaks raw HTTP/1.1 on 127.0.0.1:0, so a test can script what no well-behaved server does:
/// never answer, answer the headers and go silent, reset the connection mid-body, end a stream early, send bytes
/// that are not SSE. Each accepted connection reads one request and plays the script that was current then; the
/// connection is closed afterwards (<c>Connection: close</c>), so every upstream attempt is a new connection.
/// </summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private Func<UpstreamExchange, Task> _script = _ => Task.CompletedTask;

    public ScriptedUpstream()
    {
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri BaseUrl { get; }

    /// <summary>How many requests reached this upstream since the last <see cref="Play"/>.</summary>
    public int Requests => _requests;

    private int _requests;

    /// <summary>Plays <paramref name="script"/> for every following request.</summary>
    public void Play(Func<UpstreamExchange, Task> script)
    {
        Interlocked.Exchange(ref _requests, 0);
        _script = script;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(ServeAsync(socket, _script));
            }
        }
    }

    private async Task ServeAsync(Socket socket, Func<UpstreamExchange, Task> script)
    {
        using Socket owned = socket;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            string body = await ReadRequestAsync(stream, _stop.Token);
            Interlocked.Increment(ref _requests);
            await script(new UpstreamExchange(socket, stream, body, _stop.Token));
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // godex gave up on this connection (its timeout), which is what several scripts wait for.
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Reads the request head and its body (Content-Length or chunked); returns the body.</summary>
    private static async Task<string> ReadRequestAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int headEnd;
        while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
        {
            int read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                throw new IOException("request head ended early");
            }

            buffer.Write(chunk, 0, read);
        }

        string head = Encoding.ASCII.GetString(buffer.GetBuffer(), 0, headEnd);
        byte[] rest = buffer.GetBuffer()[(headEnd + 4)..(int)buffer.Length];
        var body = new MemoryStream();
        body.Write(rest);
        string? length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            int want = int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (body.Length < want)
            {
                int read = await stream.ReadAsync(chunk, ct);
                if (read == 0)
                {
                    throw new IOException("request body ended early");
                }

                body.Write(chunk, 0, read);
            }

            return Encoding.UTF8.GetString(body.GetBuffer(), 0, want);
        }

        // Chunked: read until the last chunk; the body is only inspected for "stream", so the framing is left in.
        while (IndexOf(body, "\r\n0\r\n\r\n"u8) < 0 && !StartsWith(body, "0\r\n\r\n"u8))
        {
            int read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                throw new IOException("chunked request body ended early");
            }

            body.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);

    private static bool StartsWith(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).StartsWith(value);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }
}

/// <summary>One request on one connection, and the raw means to answer it.</summary>
public sealed class UpstreamExchange(Socket socket, Stream stream, string body, CancellationToken stopping)
{
    public string RequestBody { get; } = body;

    /// <summary>Whether godex asked for a stream (<c>"stream":true</c> in the body).</summary>
    public bool WantsStream { get; } = body.Contains("\"stream\":true", StringComparison.Ordinal);

    public CancellationToken Stopping { get; } = stopping;

    public Task WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    public async Task WriteAsync(byte[] bytes)
    {
        await stream.WriteAsync(bytes, Stopping);
        await stream.FlushAsync(Stopping);
    }

    /// <summary>A status line and headers for a body of unknown length (the connection's end ends it).</summary>
    public Task WriteHeadAsync(int status, string contentType, string extraHeaders = "") =>
        WriteAsync($"HTTP/1.1 {status} Scripted\r\nContent-Type: {contentType}\r\nConnection: close\r\n{extraHeaders}\r\n");

    /// <summary>A complete response with a Content-Length.</summary>
    public Task WriteResponseAsync(int status, string contentType, string body, string extraHeaders = "")
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        return WriteAsync([.. Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Scripted\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n{extraHeaders}\r\n"), .. bytes]);
    }

    /// <summary>Waits until godex closes the connection (or the test ends): an upstream that never says more.</summary>
    public async Task HoldAsync()
    {
        var sink = new byte[256];
        while (await stream.ReadAsync(sink, Stopping) > 0)
        {
        }
    }

    /// <summary>Ends the connection with a TCP reset instead of a clean close.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
