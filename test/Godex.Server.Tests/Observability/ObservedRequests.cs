using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Godex.Server.Tests.EndToEnd;

namespace Godex.Server.Tests.Observability;

/// <summary>Requests in each dialect against godex on the simulator, and a reader for the Prometheus text format.</summary>
internal static class ObservedRequests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<HttpResponseMessage> ChatAsync(GodexAppHarness godex, string? key = null, string model = "gpt-5.2-codex", bool stream = false)
    {
        string body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},{{(stream ? "\"stream_options\":{\"include_usage\":true}," : "")}}"messages":[{"role":"user","content":"hello there"}]}""";
        return await PostAsync(godex, "v1/chat/completions", body, key);
    }

    public static Task<HttpResponseMessage> ResponsesAsync(GodexAppHarness godex, string? key = null) =>
        PostAsync(godex, "v1/responses", """{"model":"gpt-5.2-codex","input":"hello there"}""", key);

    public static Task<HttpResponseMessage> MessagesAsync(GodexAppHarness godex, string? key = null) =>
        PostAsync(godex, "v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello there"}]}""", key);

    /// <summary>A POST in whichever dialect <paramref name="door"/> names (chat, responses, messages).</summary>
    public static Task<HttpResponseMessage> DoorAsync(GodexAppHarness godex, string door, string? key) => door switch
    {
        "chat" => ChatAsync(godex, key),
        "responses" => ResponsesAsync(godex, key),
        _ => MessagesAsync(godex, key),
    };

    public static async Task<HttpResponseMessage> PostAsync(GodexAppHarness godex, string path, string body, string? key = null, HttpClient? http = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(godex.App.BaseUrl, path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        HttpResponseMessage response = await (http ?? godex.Http).SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    /// <summary>
    /// The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>
    /// (<c>name="value"</c>), from Prometheus text exposition.
    /// </summary>
    public static double Sum(string exposition, string name, params string[] labels)
    {
        double sum = 0;
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                continue;
            }

            int close = line.LastIndexOf('}');
            string labelText = close < 0 ? "" : line[(name.Length + 1)..close];
            if (!labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
            {
                continue;
            }

            string[] rest = line[(close < 0 ? name.Length : close + 1)..].Trim().Split(' ');
            sum += double.Parse(rest[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Reads <c>/metrics</c> until <paramref name="done"/> holds (requests are counted after their last byte), at most 5 s.</summary>
    public static async Task<string> ScrapeUntilAsync(HttpClient http, Uri metrics, Func<string, bool> done)
    {
        string text = "";
        for (int i = 0; i < 100; i++)
        {
            text = await http.GetStringAsync(metrics, Ct);
            if (done(text))
            {
                return text;
            }

            await Task.Delay(50, Ct);
        }

        return text;
    }
}
