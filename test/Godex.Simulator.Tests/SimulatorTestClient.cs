using System.Net.Http.Headers;
using System.Text;

namespace Godex.Simulator.Tests;

/// <summary>A running simulator plus an HttpClient pointed at it; one per test.</summary>
internal sealed class SimulatorTestClient : IAsyncDisposable
{
    private SimulatorTestClient(SimulatorHost host)
    {
        Host = host;
        Http = new HttpClient { BaseAddress = host.BaseUrl };
    }

    public SimulatorHost Host { get; }

    public HttpClient Http { get; }

    public SimulatorState State => Host.State;

    public static async Task<SimulatorTestClient> StartAsync(SimulatorOptions? options = null) =>
        new(await SimulatorHost.StartAsync(options ?? new SimulatorOptions(), TestContext.Current.CancellationToken));

    public Task<HttpResponseMessage> PostAsync(string path, string json, string? bearer = "test-token", string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
    }

    /// <summary>Reads a body to its end, or to the point where the server cut it; reports whether it was cut.</summary>
    public static async Task<(string Text, bool Cut)> ReadAllAsync(HttpResponseMessage response)
    {
        var text = new StringBuilder();
        using Stream stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        byte[] buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            return (text.ToString(), true);
        }

        return (text.ToString(), false);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
