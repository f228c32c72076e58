using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using Godex.Core.Storage;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex proxy replay [REQUEST_ID|latest] [--list N]</c>: finds a recorded request in the trace file
/// (<c>proxy.trace_path</c>: its <c>in</c> line) or else the audit file (<c>proxy.audit_path</c> with
/// <c>audit_bodies</c>: its <c>request</c>), newest first as the original does, and POSTs it again to a running godex,
/// printing the answer as it arrives.
/// </summary>
internal static class ReplayCommand
{
    private static readonly Argument<string?> s_id = new("request-id") { Description = "The request's id (x-request-id, request_id in the files) or latest", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<int?> s_list = new("--list") { Description = "Print the last N replayable requests (request_id, path, ts, source as TSV) and exit", HelpName = "n" };
    private static readonly Option<string?> s_tracePath = new("--trace-path") { Description = "Trace JSONL to read (default proxy.trace_path, ~/.godex/proxy-trace.jsonl)", HelpName = "path" };
    private static readonly Option<string?> s_auditPath = new("--audit-path") { Description = "Audit JSONL to read (default proxy.audit_path, ~/.godex/audit.jsonl)", HelpName = "path" };
    private static readonly Option<string?> s_url = new("--url") { Description = "The running godex (default http://proxy.listen)", HelpName = "url" };
    private static readonly Option<string?> s_apiKey = new("--api-key") { Description = "Client key to send (default proxy.api_key)", HelpName = "key" };
    private static readonly Option<string?> s_savePayload = new("--save-payload") { Description = "Also write the replayed request body to this file", HelpName = "file" };

    public static Command Create()
    {
        var replay = new Command("replay", "Send a recorded request again to a running godex and print the answer")
        {
            s_id, s_list, s_tracePath, s_auditPath, s_url, s_apiKey, s_savePayload,
        };
        replay.SetAction(RunAsync);
        return replay;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        if (await StateCommand.LoadOptionsAsync(parse) is not { } options)
        {
            return ExitCodes.Usage;
        }

        string tracePath = GodexDatabase.ExpandHome(parse.GetValue(s_tracePath) ?? options.Proxy.TracePath ?? "~/.godex/proxy-trace.jsonl");
        string auditPath = GodexDatabase.ExpandHome(parse.GetValue(s_auditPath) ?? options.Proxy.AuditPath ?? "~/.godex/audit.jsonl");
        List<Recorded> records = [.. Read(tracePath, "trace"), .. Read(auditPath, "audit")];
        if (parse.GetValue(s_list) is { } count)
        {
            foreach (Recorded record in records.Take(Math.Max(0, count)))
            {
                await output.WriteLineAsync($"{record.RequestId}\t{record.Path}\t{record.Timestamp}\t{record.Source}");
            }

            return ExitCodes.Success;
        }

        string wanted = parse.GetValue(s_id) is { Length: > 0 } id ? id : "latest";
        Recorded? chosen = wanted == "latest" ? records.FirstOrDefault() : records.FirstOrDefault(r => r.RequestId == wanted);
        if (chosen is null)
        {
            await error.WriteLineAsync(wanted == "latest"
                ? $"error: no replayable request in {tracePath} or {auditPath} (set proxy.trace_path, or proxy.audit_path with audit_bodies)"
                : $"error: request {wanted} is not in {tracePath} or {auditPath}");
            return ExitCodes.Failure;
        }

        if (parse.GetValue(s_savePayload) is { Length: > 0 } save)
        {
            await File.WriteAllTextAsync(save, chosen.Payload, cancellationToken);
        }

        var baseUrl = new Uri(parse.GetValue(s_url) ?? "http://" + options.Proxy.Listen);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, chosen.Path))
        {
            Content = new StringContent(chosen.Payload, System.Text.Encoding.UTF8, "application/json"),
        };
        if ((parse.GetValue(s_apiKey) ?? options.Proxy.ApiKey) is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"error: {(int)response.StatusCode} {await reader.ReadToEndAsync(cancellationToken)}");
                return ExitCodes.Failure;
            }

            // Streamed answers are printed as they arrive.
            char[] buffer = new char[4096];
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await output.FlushAsync(cancellationToken);
            }

            return ExitCodes.Success;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: cannot reach godex at {baseUrl}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Replayable lines of one file, newest first: trace <c>in</c> lines and audit lines that carry the request body.</summary>
    private static List<Recorded> Read(string path, string source)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var found = new List<Recorded>();
        foreach (string line in File.ReadLines(path))
        {
            if (Parse(line, source) is { } record)
            {
                found.Add(record);
            }
        }

        found.Reverse();
        return found;
    }

    private static Recorded? Parse(string line, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            string? phase = root.TryGetProperty("phase", out JsonElement p) ? p.GetString() : null;
            JsonElement payload = default;
            bool replayable = source == "trace"
                ? phase is "request" or "openclaw_request" && root.TryGetProperty("payload", out payload)
                : root.TryGetProperty("request", out payload);
            if (!replayable || root.GetProperty("path").GetString() is not { } path || !path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                return null;
            }

            string payloadText = payload.ValueKind == JsonValueKind.String ? payload.GetString()! : payload.GetRawText();
            return new Recorded(
                root.TryGetProperty("request_id", out JsonElement id) ? id.GetString() ?? "" : "",
                path,
                root.TryGetProperty("ts", out JsonElement ts) ? ts.GetString() ?? "" : "",
                source,
                payloadText);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null; // a torn last line (the proxy is writing) or a line from another tool
        }
    }

    private sealed record Recorded(string RequestId, string Path, string Timestamp, string Source, string Payload);
}
