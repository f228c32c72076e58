using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// floorproxy --listen 127.0.0.1:PORT --upstream http://127.0.0.1:PORT [--translate]
//   pass-through: any request is sent to the upstream with the same method, path, content-type and body; the answer's
//                 status, content-type and bytes are copied back as they arrive.
//   --translate:  POST /v1/chat/completions is parsed into a JsonNode, rebuilt as an Anthropic Messages request,
//                 sent to {upstream}/v1/messages, and the answer (JSON, or SSE event by event) is parsed into a
//                 JsonNode and rebuilt as a chat completion (chunk). Deliberately naive: DOM per body and per event.
var listen = Arg(args, "--listen") ?? "127.0.0.1:0";
var upstream = new Uri((Arg(args, "--upstream") ?? throw new ArgumentException("--upstream is required")).TrimEnd('/') + "/");
var translate = args.Contains("--translate");

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    var colon = listen.LastIndexOf(':');
    k.Listen(IPAddress.Parse(listen[..colon]), int.Parse(listen[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    k.AddServerHeader = false;
    k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
    k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http1);
});
var app = builder.Build();

using var client = new HttpClient(new SocketsHttpHandler
{
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    MaxConnectionsPerServer = int.MaxValue,
    UseProxy = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
})
{ Timeout = TimeSpan.FromMinutes(10) };

app.MapGet("/health", () => Results.Text("ok"));
if (translate)
{
    app.MapPost("/v1/chat/completions", (HttpContext ctx) => Translate.RunAsync(ctx, client, upstream));
}
else
{
    app.Run(ctx => PassThroughAsync(ctx, client, upstream));
}

await app.RunAsync();

static async Task PassThroughAsync(HttpContext ctx, HttpClient client, Uri upstream)
{
    var target = new Uri(upstream, ctx.Request.Path.Value!.TrimStart('/') + ctx.Request.QueryString.Value);
    using var request = new HttpRequestMessage(new HttpMethod(ctx.Request.Method), target);
    if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
    {
        request.Content = new StreamContent(ctx.Request.Body);
        if (ctx.Request.ContentType is { } contentType)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
    }

    foreach (var name in (ReadOnlySpan<string>)["authorization", "x-api-key", "anthropic-version", "anthropic-beta"])
    {
        if (ctx.Request.Headers.TryGetValue(name, out var value))
        {
            request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value!);
        }
    }

    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
    ctx.Response.StatusCode = (int)response.StatusCode;
    if (response.Content.Headers.ContentType is { } type)
    {
        ctx.Response.ContentType = type.ToString();
    }

    if (response.Content.Headers.ContentLength is long length)
    {
        ctx.Response.ContentLength = length;
    }

    await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
    await body.CopyToAsync(ctx.Response.Body, ctx.RequestAborted);
}

static string? Arg(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal static class Translate
{
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

    public static async Task RunAsync(HttpContext ctx, HttpClient client, Uri upstream)
    {
        var chat = (await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted))!.AsObject();
        var stream = chat["stream"]?.GetValue<bool>() == true;
        var model = (string)chat["model"]!;
        var anthropic = BuildRequest(chat, model, stream);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, "v1/messages"))
        {
            Content = new ByteArrayContent(Serialize(anthropic)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("x-api-key", "x");
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
        ctx.Response.StatusCode = (int)response.StatusCode;
        await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
        if (!stream)
        {
            var message = (await JsonNode.ParseAsync(body, cancellationToken: ctx.RequestAborted))!.AsObject();
            var bytes = Serialize(BuildCompletion(message, model));
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = bytes.Length;
            await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
            return;
        }

        ctx.Response.ContentType = "text/event-stream";
        using var reader = new StreamReader(body, Encoding.UTF8);
        var id = "chatcmpl-floor";
        while (await reader.ReadLineAsync(ctx.RequestAborted) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            var evt = JsonNode.Parse(line.AsSpan(5).Trim().ToString())!.AsObject();
            JsonObject? delta = null;
            string? finish = null;
            var deltaType = (string?)evt["delta"]?["type"];
            switch ((string?)evt["type"])
            {
                case "message_start":
                    id = (string?)evt["message"]?["id"] ?? id;
                    delta = new JsonObject { ["role"] = "assistant", ["content"] = "" };
                    break;
                case "content_block_delta" when deltaType == "text_delta":
                    delta = new JsonObject { ["content"] = (string?)evt["delta"]!["text"] };
                    break;
                case "message_delta":
                    delta = new JsonObject();
                    finish = MapStop((string?)evt["delta"]?["stop_reason"]);
                    break;
                case "message_stop":
                    await ctx.Response.Body.WriteAsync(s_done, ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    return;
            }

            if (delta is null)
            {
                continue;
            }

            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = 0,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
            };
            var bytes = Serialize(chunk);
            var frame = new byte[bytes.Length + 8];
            "data: "u8.CopyTo(frame);
            bytes.CopyTo(frame, 6);
            frame[^2] = (byte)'\n';
            frame[^1] = (byte)'\n';
            await ctx.Response.Body.WriteAsync(frame, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
    }

    private static JsonObject BuildRequest(JsonObject chat, string model, bool stream)
    {
        var system = new StringBuilder();
        var messages = new JsonArray();
        foreach (var node in chat["messages"]!.AsArray())
        {
            var role = (string)node!["role"]!;
            var content = node["content"];
            var text = content is JsonArray parts
                ? string.Concat(parts.Select(p => (string?)p?["text"] ?? ""))
                : (string?)content ?? "";
            switch (role)
            {
                case "system" or "developer":
                    system.Append(text);
                    break;
                case "tool":
                    messages.Add((JsonNode)new JsonObject
                    {
                        ["role"] = "user",
                        ["content"] = new JsonArray(new JsonObject
                        {
                            ["type"] = "tool_result",
                            ["tool_use_id"] = (string?)node["tool_call_id"],
                            ["content"] = text,
                        }),
                    });
                    break;
                default:
                    var blocks = new JsonArray();
                    if (text.Length > 0)
                    {
                        blocks.Add((JsonNode)new JsonObject { ["type"] = "text", ["text"] = text });
                    }

                    if (node["tool_calls"] is JsonArray calls)
                    {
                        foreach (var call in calls)
                        {
                            blocks.Add((JsonNode)new JsonObject
                            {
                                ["type"] = "tool_use",
                                ["id"] = (string?)call!["id"],
                                ["name"] = (string?)call["function"]!["name"],
                                ["input"] = JsonNode.Parse((string?)call["function"]!["arguments"] ?? "{}"),
                            });
                        }
                    }

                    messages.Add((JsonNode)new JsonObject { ["role"] = role, ["content"] = blocks });
                    break;
            }
        }

        var result = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = (int?)chat["max_tokens"] ?? (int?)chat["max_completion_tokens"] ?? 4096,
            ["messages"] = messages,
            ["stream"] = stream,
        };
        if (system.Length > 0)
        {
            result["system"] = system.ToString();
        }

        if (chat["tools"] is JsonArray tools)
        {
            var converted = new JsonArray();
            foreach (var tool in tools)
            {
                var function = tool!["function"]!;
                converted.Add((JsonNode)new JsonObject
                {
                    ["name"] = (string?)function["name"],
                    ["description"] = (string?)function["description"],
                    ["input_schema"] = function["parameters"]?.DeepClone() ?? new JsonObject { ["type"] = "object" },
                });
            }

            result["tools"] = converted;
        }

        return result;
    }

    private static JsonObject BuildCompletion(JsonObject message, string model)
    {
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        foreach (var block in message["content"]?.AsArray() ?? [])
        {
            switch ((string?)block!["type"])
            {
                case "text":
                    text.Append((string?)block["text"]);
                    break;
                case "tool_use":
                    toolCalls.Add((JsonNode)new JsonObject
                    {
                        ["id"] = (string?)block["id"],
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = (string?)block["name"],
                            ["arguments"] = block["input"]?.ToJsonString() ?? "{}",
                        },
                    });
                    break;
            }
        }

        var reply = new JsonObject { ["role"] = "assistant", ["content"] = text.ToString() };
        if (toolCalls.Count > 0)
        {
            reply["tool_calls"] = toolCalls;
        }

        var usage = message["usage"];
        var input = (int?)usage?["input_tokens"] ?? 0;
        var output = (int?)usage?["output_tokens"] ?? 0;
        return new JsonObject
        {
            ["id"] = (string?)message["id"],
            ["object"] = "chat.completion",
            ["created"] = 0,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = reply,
                ["finish_reason"] = MapStop((string?)message["stop_reason"]),
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = input,
                ["completion_tokens"] = output,
                ["total_tokens"] = input + output,
            },
        };
    }

    private static string MapStop(string? stop) => stop switch
    {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        _ => "stop",
    };

    private static byte[] Serialize(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
