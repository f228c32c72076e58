using System.Text;
using System.Text.Json;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Routing;
using Godex.Server.Access;
using Godex.Server.FrontDoors.ChatCompletions;
using Godex.Server.FrontDoors.Models;
using Godex.Server.Hosting;
using Godex.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Server.Tests.Chat;

/// <summary>Kestrel on 127.0.0.1:0 with the chat/models/health endpoints and the client-key middleware over fakes.</summary>
internal static class ChatTestServer
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static Task<KestrelTestHost> StartAsync(IChatBackend backend, Action<GodexOptions>? configure = null) =>
        StartAsync([backend], configure);

    public static Task<KestrelTestHost> StartAsync(IReadOnlyList<IChatBackend> backends, Action<GodexOptions>? configure = null)
    {
        var options = new GodexOptions();
        configure?.Invoke(options);
        var time = new FakeTimeProvider(Now);
        return KestrelTestHost.StartAsync(
            services =>
            {
                services.AddSingleton(options);
                services.AddSingleton<TimeProvider>(time);
                services.AddSingleton(time);
                services.AddSingleton(new ModelRouter(backends, options.Routing));
            },
            app =>
            {
                app.UseMiddleware<ClientKeyMiddleware>();
                app.MapHealth();
                app.MapModels();
                app.MapChatCompletions();
            });
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The <c>data:</c> payloads of an SSE body, in order.</summary>
    public static List<string> DataLines(string body)
    {
        var lines = new List<string>();
        foreach (string frame in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string line in frame.Split('\n'))
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    lines.Add(line["data: ".Length..]);
                }
            }
        }

        return lines;
    }

    public static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
