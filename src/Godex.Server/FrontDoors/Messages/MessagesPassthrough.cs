using System.Buffers;
using System.Text.Json;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Conversation;
using Godex.Server.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Godex.Server.FrontDoors.Messages;

/// <summary>
/// Relays a Messages request routed to Anthropic byte for byte (<see cref="AnthropicBackend.ForwardAsync"/>): the
/// upstream's status, rate-limit headers and body come back unchanged, flushed as they arrive. Usage for the ledger is
/// read on the side from the two events that carry it (message_start, message_delta), or from a JSON body.
/// </summary>
internal static class MessagesPassthrough
{
    private static readonly string[] s_relayedHeaders = ["retry-after", "request-id", "x-should-retry"];

    public static async Task HandleAsync(HttpContext context, AnthropicBackend backend, string model, ReadOnlyMemory<byte> body, string path)
    {
        CancellationToken aborted = context.RequestAborted;
        HttpRequest request = context.Request;
        var betas = new List<string>();
        foreach (string? value in request.Headers["anthropic-beta"])
        {
            betas.AddRange((value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        (HttpResponseMessage? upstream, BackendError? error) = await backend.ForwardAsync(
            body, model, path + request.QueryString.Value, request.Headers["anthropic-version"].ToString(), betas, aborted);
        if (upstream is null)
        {
            await MessagesEndpoints.WriteErrorAsync(context, error!);
            return;
        }

        using (upstream)
        {
            HttpResponse response = context.Response;
            response.StatusCode = (int)upstream.StatusCode;
            response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/json";
            foreach ((string name, IEnumerable<string> values) in upstream.Headers)
            {
                if (IsRelayed(name))
                {
                    response.Headers[name] = values.ToArray();
                }
            }

            bool stream = response.ContentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
            if (stream)
            {
                response.Headers.CacheControl = "no-cache";
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            }

            var usage = new UsageScanner();
            await using Stream source = await upstream.Content.ReadAsStreamAsync(aborted);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            using var returnBuffer = new ReturnToPool(buffer);
            var whole = stream ? null : new MemoryStream();
            int read;
            byte last = 0;
            byte beforeLast = 0;
            while ((read = await source.ReadAsync(buffer, aborted)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                if (stream)
                {
                    await response.Body.FlushAsync(aborted);
                    usage.Scan(buffer.AsSpan(0, read));
                }
                else if (whole!.Length < 4 * 1024 * 1024)
                {
                    whole.Write(buffer, 0, read);
                }

                beforeLast = read > 1 ? buffer[read - 2] : last;
                last = buffer[read - 1];
            }

            if (stream && !(last == '\n' && beforeLast == '\n'))
            {
                // The upstream closed right after its last event without the blank line that dispatches it; a client's
                // SSE parser would drop that event (message_stop, usually). Close it.
                await response.Body.WriteAsync(last == '\n' ? "\n"u8.ToArray() : "\n\n"u8.ToArray(), aborted);
                usage.Scan("\n"u8);
            }

            if (whole is not null && upstream.IsSuccessStatusCode)
            {
                usage.ScanJson(whole.GetBuffer().AsSpan(0, (int)whole.Length));
            }

            RequestUsage.Report(context, model, backend.Name, usage.Usage);
        }
    }

    private static bool IsRelayed(string name)
    {
        foreach (string relayed in s_relayedHeaders)
        {
            if (name.Equals(relayed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return name.StartsWith("anthropic-ratelimit-", StringComparison.OrdinalIgnoreCase);
    }

    private readonly struct ReturnToPool(byte[] buffer) : IDisposable
    {
        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Finds usage in an Anthropic SSE byte stream by parsing only the lines that carry it.</summary>
    private sealed class UsageScanner
    {
        private readonly List<byte> _line = new(256);
        private long _input;
        private long _cacheRead;
        private long _cacheCreation;
        private long _output;

        public Usage Usage => new()
        {
            InputTokens = _input + _cacheRead + _cacheCreation,
            CachedInputTokens = _cacheRead,
            CacheCreationInputTokens = _cacheCreation,
            OutputTokens = _output,
        };

        public void Scan(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                int newline = bytes.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _line.AddRange(bytes);
                    return;
                }

                ReadOnlySpan<byte> piece = bytes[..newline];
                bytes = bytes[(newline + 1)..];
                if (_line.Count == 0)
                {
                    ScanLine(piece);
                    continue;
                }

                _line.AddRange(piece);
                ScanLine(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
                _line.Clear();
            }
        }

        private void ScanLine(ReadOnlySpan<byte> line)
        {
            if (line.StartsWith("data:"u8) && line.IndexOf("\"usage\""u8) >= 0)
            {
                ScanJson(line[5..]);
            }
        }

        public void ScanJson(ReadOnlySpan<byte> json)
        {
            try
            {
                var reader = new Utf8JsonReader(json);
                using JsonDocument document = JsonDocument.ParseValue(ref reader);
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return;
                }

                if (root.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out JsonElement startUsage))
                {
                    Read(startUsage);
                }
                else if (root.TryGetProperty("usage", out JsonElement usage))
                {
                    Read(usage);
                }
            }
            catch (JsonException)
            {
                // Not JSON we understand: the ledger keeps what it had.
            }
        }

        private void Read(JsonElement usage)
        {
            if (usage.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            _input = Number(usage, "input_tokens") ?? _input;
            _cacheRead = Number(usage, "cache_read_input_tokens") ?? _cacheRead;
            _cacheCreation = Number(usage, "cache_creation_input_tokens") ?? _cacheCreation;
            _output = Number(usage, "output_tokens") ?? _output;
        }

        private static long? Number(JsonElement element, string name) =>
            element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : null;
    }
}
