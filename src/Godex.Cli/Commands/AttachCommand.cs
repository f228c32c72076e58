using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex proxy attach [--json]</c>: tails a running proxy's live request events (<c>GET /admin/events</c>) through
/// its admin socket (<c>proxy.admin_socket</c>), or over HTTP with <c>--url</c> and the admin key. One line per
/// finished request, or the event's JSON with <c>--json</c>; Ctrl-C detaches.
/// </summary>
internal static class AttachCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print each event as one JSON object per line" };
    private static readonly Option<string?> s_socket = new("--socket") { Description = "The admin socket (default proxy.admin_socket, ~/.godex/admin.sock)", HelpName = "path" };
    private static readonly Option<string?> s_url = new("--url") { Description = "Attach over HTTP instead (needs proxy.admin_key)", HelpName = "url" };
    private static readonly Option<string?> s_adminKey = new("--admin-key") { Description = "Admin key for --url (default proxy.admin_key)", HelpName = "key" };
    private static readonly Option<string?> s_grep = new("--grep") { Description = "Only lines containing this text", HelpName = "text" };

    public static Command Create()
    {
        var attach = new Command("attach", "Print a running proxy's requests live, as they finish") { s_json, s_socket, s_url, s_adminKey, s_grep };
        attach.SetAction(RunAsync);
        return attach;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        if (await StateCommand.LoadOptionsAsync(parse) is not { } options)
        {
            return ExitCodes.Usage;
        }

        string? url = parse.GetValue(s_url);
        string socket = GodexDatabase.ExpandHome(parse.GetValue(s_socket) ?? options.Proxy.AdminSocket);
        using HttpClient http = url is not null ? new HttpClient { Timeout = Timeout.InfiniteTimeSpan } : SocketClient(socket);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(url ?? "http://localhost"), "/admin/events"));
        if (url is not null && (parse.GetValue(s_adminKey) ?? options.Proxy.AdminKey) is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        bool json = parse.GetValue(s_json);
        string? grep = parse.GetValue(s_grep);
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"error: {(int)response.StatusCode} from /admin/events (over HTTP it needs proxy.admin_key)");
                return ExitCodes.Failure;
            }

            await error.WriteLineAsync($"attached to godex at {url ?? socket} (Ctrl-C to detach)");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                string text = json ? line[6..] : Describe(line[6..]);
                if (grep is null || text.Contains(grep, StringComparison.Ordinal))
                {
                    await output.WriteLineAsync(text);
                    await output.FlushAsync(cancellationToken);
                }
            }

            return ExitCodes.Success;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: cannot reach godex at {url ?? socket}: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
    }

    /// <summary>One readable line: time, request id, door, model → backend, status, tokens, cost, timings.</summary>
    private static string Describe(string data)
    {
        using var document = JsonDocument.Parse(data);
        JsonElement e = document.RootElement;
        string Text(string name) => e.TryGetProperty(name, out JsonElement v) ? v.ToString() : "";
        string ts = e.TryGetProperty("ts", out JsonElement t) && t.TryGetDateTimeOffset(out DateTimeOffset at) ? at.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[request] {ts} {Text("request_id")} {Text("method")} {Text("path")} key={Text("key_id")} model={Text("model")} backend={Text("backend")} status={Text("status")} tokens={Text("input_tokens")}/{Text("output_tokens")} cost_usd={Text("cost_usd")} ttfb_ms={Text("ttfb_ms")} duration_ms={Text("duration_ms")}");
    }

    private static HttpClient SocketClient(string path) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
