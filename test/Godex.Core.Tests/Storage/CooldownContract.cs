using Godex.Core.Limits;

namespace Godex.Core.Tests.Storage;

/// <summary>What every <see cref="IAccountCooldownStore"/> must do; the writer and the reader may be two instances.</summary>
internal static class CooldownContract
{
    public static async Task RunAsync(IAccountCooldownStore writer, IAccountCooldownStore reader, CancellationToken ct)
    {
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        await writer.SetAsync(new AccountCooldown("codex:a@example.com", now.AddMinutes(5), "429 usage_limit_reached"), ct);
        await writer.SetAsync(new AccountCooldown("anthropic:b", now.AddMinutes(1), "429 rate_limit_error"), ct);
        await writer.SetAsync(new AccountCooldown("codex:old", now.AddMinutes(-1), "over"), ct);

        IReadOnlyList<AccountCooldown> active = await reader.ListActiveAsync(ct);
        Assert.Equal(["anthropic:b", "codex:a@example.com"], active.Select(c => c.AccountKey));
        Assert.Equal("429 usage_limit_reached", active[1].Reason);
        Assert.Equal(now.AddMinutes(5).ToUnixTimeMilliseconds(), active[1].Until.ToUnixTimeMilliseconds());

        await writer.SetAsync(new AccountCooldown("anthropic:b", now.AddMinutes(10), "again"), ct); // replaces
        Assert.Equal("again", (await reader.ListActiveAsync(ct)).Single(c => c.AccountKey == "anthropic:b").Reason);
        Assert.True(await reader.ClearAsync("codex:a@example.com", ct));
        Assert.False(await reader.ClearAsync("codex:old", ct));
        Assert.Equal(["anthropic:b"], (await writer.ListActiveAsync(ct)).Select(c => c.AccountKey));
    }
}
