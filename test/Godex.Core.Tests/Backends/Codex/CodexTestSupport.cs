using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Configuration;

namespace Godex.Core.Tests.Backends.Codex;

/// <summary>Temp auth.json files, unsigned JWTs and a delegate HTTP handler for the Codex tests.</summary>
internal static class CodexTestSupport
{
    public static string Jwt(JsonObject payload) =>
        Base64Url.EncodeToString("{\"alg\":\"none\"}"u8) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + ".sig";

    public static string AccessToken(DateTimeOffset expires, string marker = "a") =>
        Jwt(new JsonObject { ["exp"] = expires.ToUnixTimeSeconds(), ["marker"] = marker });

    public static string IdToken(string accountId, string plan = "plus") =>
        Jwt(new JsonObject
        {
            ["email"] = "user@example.com",
            ["https://api.openai.com/auth"] = new JsonObject { ["chatgpt_account_id"] = accountId, ["chatgpt_plan_type"] = plan },
        });

    public static TempDir NewTempDir() => new();

    public static CodexBackendOptions Options(string authPath, string baseUrl = "http://127.0.0.1:9/codex") => new()
    {
        AuthPath = authPath,
        BaseUrl = baseUrl,
        RefreshUrl = "http://127.0.0.1:9/oauth/token",
        RetryDelay = TimeSpan.Zero,
        IdleTimeout = TimeSpan.FromSeconds(30),
    };

    internal sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            DirectoryPath = Path.Combine(Path.GetTempPath(), "godex-codex-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(DirectoryPath);
        }

        public string DirectoryPath { get; }

        public string File(string name) => Path.Combine(DirectoryPath, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(DirectoryPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>An <see cref="HttpMessageHandler"/> that answers with a delegate and records what it was sent.</summary>
internal sealed class DelegateHandler(Func<HttpRequestMessage, string, int, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    private int _count;

    public List<(HttpRequestMessage Request, string Body)> Requests { get; } = [];

    public int Count => Volatile.Read(ref _count);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        int n = Interlocked.Increment(ref _count);
        lock (Requests)
        {
            Requests.Add((request, body));
        }

        return await respond(request, body, n);
    }
}
