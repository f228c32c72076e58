using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Anthropic;
using Godex.Core.Configuration;
using Godex.TestUtilities;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Backends.Anthropic;

public sealed class ClaudeCredentialStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("godex-claude-").FullName;
    private readonly FakeTimeProvider _time = new(s_start);

    private string CredentialsPath => Path.Combine(_dir, ".credentials.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task GetAsync_ValidToken_ReturnsItWithoutRefresh()
    {
        WriteCredentials("at-1", s_start.AddHours(1));
        var handler = new ClaudeTestHandler((_, _) => throw new InvalidOperationException("no token call expected"));
        ClaudeCredentialStore store = CreateStore(handler);

        ClaudeCredential credential = await store.GetAsync(forceRefresh: false, TestContext.Current.CancellationToken);

        Assert.Equal(new ClaudeCredential("at-1", false, s_start.AddHours(1), "max"), credential);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task GetAsync_FileAlreadyRefreshedByClaudeCode_ReloadsWithoutTokenCall()
    {
        WriteCredentials("at-1", s_start.AddMinutes(30));
        var handler = new ClaudeTestHandler((_, _) => throw new InvalidOperationException("no token call expected"));
        ClaudeCredentialStore store = CreateStore(handler);
        Assert.Equal("at-1", (await store.GetAsync(false, TestContext.Current.CancellationToken)).Token);

        _time.Advance(TimeSpan.FromMinutes(27)); // within the 5-minute skew of expiry
        WriteCredentials("at-from-claude-code", s_start.AddHours(2));

        ClaudeCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal("at-from-claude-code", credential.Token);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task GetAsync_TwentyConcurrentForcedRefreshes_HitTokenEndpointOnceAndPreserveFile()
    {
        WriteCredentials("at-1", s_start.AddHours(1));
        var release = new TaskCompletionSource();
        var handler = new ClaudeTestHandler(async (request, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return ClaudeTestHandler.Json(HttpStatusCode.OK, """{"access_token":"at-2","refresh_token":"rt-2","expires_in":28800,"token_type":"Bearer"}""");
        });
        ClaudeCredentialStore store = CreateStore(handler);

        Task<ClaudeCredential>[] callers = [.. Enumerable.Range(0, 20).Select(_ => store.GetAsync(forceRefresh: true, TestContext.Current.CancellationToken).AsTask())];
        await Task.Delay(100, TestContext.Current.CancellationToken);
        release.SetResult();
        ClaudeCredential[] results = await Task.WhenAll(callers);

        Assert.All(results, r => Assert.Equal("at-2", r.Token));
        RecordedRequest tokenCall = Assert.Single(handler.Requests);
        using (var body = JsonDocument.Parse(tokenCall.Body))
        {
            Assert.Equal("refresh_token", body.RootElement.GetProperty("grant_type").GetString());
            Assert.Equal("rt-1", body.RootElement.GetProperty("refresh_token").GetString());
            Assert.Equal(new AnthropicBackendOptions().ClientId, body.RootElement.GetProperty("client_id").GetString());
        }

        var saved = JsonNode.Parse(await File.ReadAllTextAsync(CredentialsPath, TestContext.Current.CancellationToken))!.AsObject();
        JsonObject oauth = saved["claudeAiOauth"]!.AsObject();
        Assert.Equal("at-2", (string?)oauth["accessToken"]);
        Assert.Equal("rt-2", (string?)oauth["refreshToken"]);
        Assert.Equal(JsonValueKind.Number, oauth["expiresAt"]!.GetValueKind());
        Assert.Equal(s_start.AddSeconds(28800).ToUnixTimeMilliseconds(), (long)oauth["expiresAt"]!);
        Assert.Equal("max", (string?)oauth["subscriptionType"]);
        Assert.Equal("default_claude_max_20x", (string?)oauth["rateLimitTier"]);
        Assert.Equal(["user:inference", "user:profile"], oauth["scopes"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(42, (int)saved["mcpOAuth"]!["server"]!["n"]!);
        Assert.False(File.Exists(CredentialsPath + ".lock"));
    }

    [Fact]
    public async Task GetAsync_ExpiredTokenRefreshFails_CredentialExceptionTellsToLogIn()
    {
        WriteCredentials("at-1", s_start.AddMinutes(-1));
        var handler = new ClaudeTestHandler((_, _) =>
            Task.FromResult(ClaudeTestHandler.Json(HttpStatusCode.BadRequest, """{"error":"invalid_grant","error_description":"Refresh token revoked"}""")));
        ClaudeCredentialStore store = CreateStore(handler);

        CredentialException ex = await Assert.ThrowsAsync<CredentialException>(() => store.GetAsync(false, TestContext.Current.CancellationToken).AsTask());

        Assert.Contains("Refresh token revoked", ex.Message, StringComparison.Ordinal);
        Assert.Contains("run `claude`", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rt-1", ex.Message, StringComparison.Ordinal);
        AssertPathInLogOnly(ex);
    }

    [Fact]
    public async Task GetAsync_ExpiredAndRefreshDisabled_Throws()
    {
        WriteCredentials("at-1", s_start.AddMinutes(-1));
        var handler = new ClaudeTestHandler((_, _) => throw new InvalidOperationException("no token call expected"));
        ClaudeCredentialStore store = CreateStore(handler, o => o.AllowRefresh = false);

        CredentialException ex = await Assert.ThrowsAsync<CredentialException>(() => store.GetAsync(false, TestContext.Current.CancellationToken).AsTask());

        AssertPathInLogOnly(ex);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{not json")]
    [InlineData("""{"somethingElse":{}}""")]
    public async Task GetAsync_MissingCorruptOrNoOAuth_CredentialExceptionNamesPath(string? content)
    {
        if (content is not null)
        {
            await File.WriteAllTextAsync(CredentialsPath, content, TestContext.Current.CancellationToken);
        }

        ClaudeCredentialStore store = CreateStore(new ClaudeTestHandler((_, _) => throw new InvalidOperationException()));

        CredentialException ex = await Assert.ThrowsAsync<CredentialException>(() => store.GetAsync(false, TestContext.Current.CancellationToken).AsTask());

        AssertPathInLogOnly(ex);
        Assert.False(ClaudeCredentialStore.HasLogin(Options()));
    }

    [Fact]
    public async Task GetAsync_ExpiresAtAsRfc3339String_IsAccepted()
    {
        await File.WriteAllTextAsync(
            CredentialsPath,
            """{"claudeAiOauth":{"accessToken":"at-s","refreshToken":"rt","expiresAt":"2026-03-01T14:00:00Z"}}""",
            TestContext.Current.CancellationToken);
        ClaudeCredentialStore store = CreateStore(new ClaudeTestHandler((_, _) => throw new InvalidOperationException()));

        ClaudeCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal(s_start.AddHours(2), credential.ExpiresAt);
        Assert.True(ClaudeCredentialStore.HasLogin(Options()));
    }

    [Fact]
    public async Task GetAsync_ApiKeyConfigured_WinsOverOAuth()
    {
        WriteCredentials("at-1", s_start.AddHours(1));
        ClaudeCredentialStore store = CreateStore(new ClaudeTestHandler((_, _) => throw new InvalidOperationException()), o => o.ApiKey = "sk-ant-test");

        ClaudeCredential credential = await store.GetAsync(true, TestContext.Current.CancellationToken);

        Assert.True(credential.IsApiKey);
        Assert.Equal("sk-ant-test", credential.Token);
        Assert.DoesNotContain("sk-ant-test", credential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshAfterRejection_AnotherCallerAlreadyRefreshed_NoSecondTokenCall()
    {
        WriteCredentials("at-1", s_start.AddHours(1));
        int calls = 0;
        var handler = new ClaudeTestHandler((_, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(ClaudeTestHandler.Json(HttpStatusCode.OK, """{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600}"""));
        });
        ClaudeCredentialStore store = CreateStore(handler);
        ClaudeCredential first = await store.GetAsync(false, TestContext.Current.CancellationToken);

        ClaudeCredential a = await store.RefreshAfterRejectionAsync(first, TestContext.Current.CancellationToken);
        ClaudeCredential b = await store.RefreshAfterRejectionAsync(first, TestContext.Current.CancellationToken);

        Assert.Equal("at-2", a.Token);
        Assert.Equal("at-2", b.Token);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void ResolvePath_ConfiguredPathWins()
    {
        Assert.Equal(CredentialsPath, ClaudeCredentialStore.ResolvePath(Options()));
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, "x", "c.json"), ClaudeCredentialStore.ResolvePath(new AnthropicBackendOptions { CredentialsPath = "~/x/c.json" }));
    }

    private AnthropicBackendOptions Options() => new()
    {
        CredentialsPath = CredentialsPath,
        ApiKeyEnv = "GODEX_TEST_UNSET_ANTHROPIC_API_KEY",
        RefreshUrl = "http://127.0.0.1:9/v1/oauth/token",
    };

    private ClaudeCredentialStore CreateStore(ClaudeTestHandler handler, Action<AnthropicBackendOptions>? configure = null)
    {
        AnthropicBackendOptions options = Options();
        configure?.Invoke(options);
        return new ClaudeCredentialStore(options, new HttpClient(handler), _time, _log);
    }

    private readonly CapturingLogger<ClaudeCredentialStore> _log = new();

    /// <summary>
    /// Issue 14, security item 4: the message can reach a client (the backend's 401), so it names the file alone; the
    /// server's path is in the log only.
    /// </summary>
    private void AssertPathInLogOnly(CredentialException ex)
    {
        Assert.DoesNotContain(_dir, ex.Message, StringComparison.Ordinal);
        Assert.Contains(".credentials.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_log.Messages, message => message.Contains(CredentialsPath, StringComparison.Ordinal));
    }

    private void WriteCredentials(string accessToken, DateTimeOffset expiresAt) =>
        File.WriteAllText(CredentialsPath, $$"""
            {
              "claudeAiOauth": {
                "accessToken": "{{accessToken}}",
                "refreshToken": "rt-1",
                "expiresAt": {{expiresAt.ToUnixTimeMilliseconds()}},
                "scopes": ["user:inference", "user:profile"],
                "subscriptionType": "max",
                "rateLimitTier": "default_claude_max_20x"
              },
              "mcpOAuth": { "server": { "n": 42 } }
            }
            """);
}
