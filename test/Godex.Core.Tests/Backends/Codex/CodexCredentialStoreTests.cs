using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Godex.Core.Auth;
using Godex.Core.Backends.Codex;
using Godex.TestUtilities;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Backends.Codex;

public sealed class CodexCredentialStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly CodexTestSupport.TempDir _dir = CodexTestSupport.NewTempDir();
    private readonly FakeTimeProvider _time = new(s_now);

    public void Dispose() => _dir.Dispose();

    private string WriteLogin(string accessToken, JsonNode? idToken = null, string? accountId = null)
    {
        string path = _dir.File("auth.json");
        var tokens = new JsonObject
        {
            ["id_token"] = idToken ?? CodexTestSupport.IdToken("acct-from-jwt", "pro"),
            ["access_token"] = accessToken,
            ["refresh_token"] = "rt-old",
            ["future_token_field"] = new JsonArray(1, 2),
        };
        if (accountId is not null)
        {
            tokens["account_id"] = accountId;
        }

        var document = new JsonObject
        {
            ["auth_mode"] = "chatgpt",
            ["OPENAI_API_KEY"] = null,
            ["tokens"] = tokens,
            ["last_refresh"] = "2025-01-01T00:00:00Z",
            ["unknown_top"] = new JsonObject { ["nested"] = true, ["n"] = 1.5 },
        };
        File.WriteAllText(path, document.ToJsonString());
        return path;
    }

    private readonly CapturingLogger<CodexCredentialStore> _log = new();

    private CodexCredentialStore Create(string path, HttpMessageHandler handler) =>
        new(CodexTestSupport.Options(path), new HttpClient(handler), _time, _log);

    /// <summary>
    /// Issue 14, security item 4: the message can reach a client (the backend's 401), so it names the file alone; the
    /// server's path is in the log only.
    /// </summary>
    private void AssertPathInLogOnly(CredentialException ex, string path)
    {
        Assert.DoesNotContain(Path.GetDirectoryName(path)!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(path), ex.Message, StringComparison.Ordinal);
        Assert.Contains(_log.Messages, message => message.Contains(path, StringComparison.Ordinal));
    }

    private static HttpResponseMessage TokenResponse(string accessToken, string? idToken = null) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(
            new JsonObject { ["access_token"] = accessToken, ["refresh_token"] = "rt-new", ["id_token"] = idToken }.ToJsonString(),
            Encoding.UTF8,
            "application/json"),
    };

    [Fact]
    public async Task Get_ReadsTokenAccountAndPlanFromIdToken()
    {
        string token = CodexTestSupport.AccessToken(s_now.AddHours(1));
        CodexCredentialStore store = Create(WriteLogin(token), new DelegateHandler((_, _, _) => throw new InvalidOperationException("no refresh expected")));

        CodexCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal(token, credential.BearerToken);
        Assert.Equal("acct-from-jwt", credential.AccountId);
        Assert.Equal("pro", credential.PlanType);
        Assert.Equal(CodexAuthModes.ChatGpt, credential.Mode);
        Assert.Equal(s_now.AddHours(1), credential.ExpiresAt);
    }

    [Fact]
    public async Task Get_LegacyIdTokenObjectAndExplicitAccount_PrefersAccountId()
    {
        var legacy = new JsonObject { ["raw_jwt"] = CodexTestSupport.IdToken("acct-jwt"), ["chatgpt_account_id"] = "acct-legacy" };
        CodexCredentialStore store = Create(WriteLogin("opaque-token", legacy), new DelegateHandler((_, _, _) => throw new InvalidOperationException()));

        CodexCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal("acct-legacy", credential.AccountId);
        Assert.Null(credential.ExpiresAt);
    }

    [Fact]
    public async Task Get_ApiKeyMode_UsesKey()
    {
        string path = _dir.File("auth.json");
        File.WriteAllText(path, """{"auth_mode":"api_key","OPENAI_API_KEY":"sk-test"}""");
        CodexCredentialStore store = Create(path, new DelegateHandler((_, _, _) => throw new InvalidOperationException()));

        CodexCredential credential = await store.GetAsync(true, TestContext.Current.CancellationToken);

        Assert.Equal(("sk-test", CodexAuthModes.ApiKey, (string?)null), (credential.BearerToken, credential.Mode, credential.AccountId));
    }

    [Fact]
    public async Task Get_MissingFile_ThrowsNamingPath()
    {
        string path = _dir.File("nope.json");
        CodexCredentialStore store = Create(path, new DelegateHandler((_, _, _) => throw new InvalidOperationException()));

        var ex = await Assert.ThrowsAsync<CredentialException>(async () => await store.GetAsync(false, TestContext.Current.CancellationToken));

        AssertPathInLogOnly(ex, path);
        Assert.False(CodexCredentialStore.HasLogin(CodexTestSupport.Options(path)));
    }

    [Fact]
    public async Task Get_CorruptFile_ThrowsNamingPath()
    {
        string path = _dir.File("auth.json");
        File.WriteAllText(path, "{not json");
        CodexCredentialStore store = Create(path, new DelegateHandler((_, _, _) => throw new InvalidOperationException()));

        var ex = await Assert.ThrowsAsync<CredentialException>(async () => await store.GetAsync(false, TestContext.Current.CancellationToken));

        AssertPathInLogOnly(ex, path);
        Assert.False(CodexCredentialStore.HasLogin(CodexTestSupport.Options(path)));
    }

    [Fact]
    public async Task Get_Expiring_RefreshesProactivelyAndKeepsUnknownFields()
    {
        string path = WriteLogin(CodexTestSupport.AccessToken(s_now.AddMinutes(2)));
        JsonObject before = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string newAccess = CodexTestSupport.AccessToken(s_now.AddHours(1), "new");
        string newId = CodexTestSupport.IdToken("acct-new");
        var handler = new DelegateHandler((request, body, _) =>
        {
            Assert.Equal("http://127.0.0.1:9/oauth/token", request.RequestUri!.ToString());
            JsonObject sent = JsonNode.Parse(body)!.AsObject();
            Assert.Equal("refresh_token", (string?)sent["grant_type"]);
            Assert.Equal("rt-old", (string?)sent["refresh_token"]);
            Assert.Equal("app_EMoamEEZ73f0CkXaXp7hrann", (string?)sent["client_id"]);
            Assert.Equal("openid profile email", (string?)sent["scope"]);
            return Task.FromResult(TokenResponse(newAccess, newId));
        });
        CodexCredentialStore store = Create(path, handler);

        CodexCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal(newAccess, credential.BearerToken);
        Assert.Equal("acct-new", credential.AccountId);
        JsonObject after = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(newAccess, (string?)after["tokens"]!["access_token"]);
        Assert.Equal("rt-new", (string?)after["tokens"]!["refresh_token"]);
        Assert.Equal(newId, after["tokens"]!["id_token"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.0000000Z", (string?)after["last_refresh"]);

        // Every field godex does not own is unchanged.
        foreach (JsonObject document in new[] { before, after })
        {
            var tokens = document["tokens"]!.AsObject();
            tokens.Remove("access_token");
            tokens.Remove("refresh_token");
            tokens.Remove("id_token");
            document.Remove("last_refresh");
        }

        Assert.True(JsonNode.DeepEquals(before, after), after.ToJsonString());
    }

    [Fact]
    public async Task Get_ConcurrentForcedRefresh_CallsTokenEndpointOnce()
    {
        string path = WriteLogin(CodexTestSupport.AccessToken(s_now.AddHours(1)));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string newAccess = CodexTestSupport.AccessToken(s_now.AddHours(2), "new");
        var handler = new DelegateHandler(async (_, _, _) =>
        {
            await release.Task;
            return TokenResponse(newAccess);
        });
        CodexCredentialStore store = Create(path, handler);

        Task<CodexCredential>[] callers = [.. Enumerable.Range(0, 20).Select(_ => store.GetAsync(true, TestContext.Current.CancellationToken).AsTask())];
        await Task.Delay(100, TestContext.Current.CancellationToken);
        release.SetResult();
        CodexCredential[] results = await Task.WhenAll(callers);

        Assert.Equal(1, handler.Count);
        Assert.All(results, r => Assert.Equal(newAccess, r.BearerToken));

        // Straight after, another forced refresh does not hit the endpoint again: the token is fresh.
        CodexCredential again = await store.GetAsync(true, TestContext.Current.CancellationToken);
        Assert.Equal(newAccess, again.BearerToken);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Get_AnotherProcessRefreshed_UsesFileWithoutCallingEndpoint()
    {
        string path = WriteLogin(CodexTestSupport.AccessToken(s_now.AddMinutes(10), "old"));
        var handler = new DelegateHandler((_, _, _) => throw new InvalidOperationException("must not refresh"));
        CodexCredentialStore store = Create(path, handler);
        await store.GetAsync(false, TestContext.Current.CancellationToken);

        // Another process rotates the token; ours then comes within the refresh skew.
        string theirs = CodexTestSupport.AccessToken(s_now.AddHours(1), "theirs");
        JsonObject document = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        document["tokens"]!["access_token"] = theirs;
        File.WriteAllText(path, document.ToJsonString());
        _time.Advance(TimeSpan.FromMinutes(6));

        CodexCredential credential = await store.GetAsync(false, TestContext.Current.CancellationToken);

        Assert.Equal(theirs, credential.BearerToken);
        Assert.Equal(0, handler.Count);
    }

    [Theory]
    [InlineData("invalid_grant")]
    [InlineData("refresh_token_reused")]
    public async Task Get_RefreshRejected_TellsUserToLogIn(string code)
    {
        string path = WriteLogin(CodexTestSupport.AccessToken(s_now.AddMinutes(1)));
        var handler = new DelegateHandler((_, _, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            Content = new StringContent($$"""{"error":"{{code}}","error_description":"nope"}""", Encoding.UTF8, "application/json"),
        }));
        CodexCredentialStore store = Create(path, handler);

        var ex = await Assert.ThrowsAsync<CredentialException>(async () => await store.GetAsync(false, TestContext.Current.CancellationToken));

        Assert.Contains("codex login", ex.Message, StringComparison.Ordinal);
        Assert.Contains(code, ex.Message, StringComparison.Ordinal);
        AssertPathInLogOnly(ex, path);
    }

    [Fact]
    public void HasLogin_FileWithToken_IsTrue()
    {
        string path = WriteLogin("tok");

        Assert.True(CodexCredentialStore.HasLogin(CodexTestSupport.Options(path)));
        Assert.Equal(path, CodexCredentialStore.ResolvePath(CodexTestSupport.Options(path)));
    }
}
