using System.Text.Json;
using Godex.Composition;
using Godex.Core.Backends.Pools;
using Godex.Core.Configuration;
using Godex.Core.Storage;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Godex.Server.Admin;

/// <summary>
/// <c>GET /admin/accounts</c>: each pooled backend's accounts as this process sees them now — the pools' live state
/// (cooldown, usage per window as the upstream last reported it, last error, requests served; the same state the pools
/// save for <c>godex accounts status</c>) joined with what each account's login says (mode, plan; the one reader the
/// CLI uses too). No token, key, login file contents or login path is in the answer.
/// </summary>
internal static class AdminAccounts
{
    public static Task HandleAsync(HttpContext context)
    {
        IServiceProvider services = context.RequestServices;
        IReadOnlyList<AccountPool> pools = services.GetService<AccountPools>()?.All ?? [];
        IReadOnlyList<RegisteredAccount> added = services.GetService<SqliteAccountRegistry>()?.List(null) ?? [];
        IReadOnlyList<AccountLogin> logins = AccountLogins.Read(services.GetRequiredService<GodexOptions>(), added);
        DateTimeOffset now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => Write(w, pools, logins, now));
    }

    internal static void Write(Utf8JsonWriter w, IReadOnlyList<AccountPool> pools, IReadOnlyList<AccountLogin> logins, DateTimeOffset now)
    {
        long nowMs = now.ToUnixTimeMilliseconds();
        w.WriteStartObject();
        w.WriteNumber("now_ms"u8, nowMs);
        w.WriteStartArray("backends"u8);
        foreach (AccountPool pool in pools)
        {
            w.WriteStartObject();
            w.WriteString("backend"u8, pool.Backend);
            w.WriteString("strategy"u8, PoolStrategies.Name(pool.Strategy));
            w.WriteNumber("bound_conversations"u8, pool.BoundConversations);
            w.WriteBoolean("exhausted"u8, pool.IsExhausted());
            WriteTime(w, "returns_at_ms"u8, pool.EarliestReturn());
            w.WriteStartArray("accounts"u8);
            foreach (PoolAccount account in pool.Accounts)
            {
                AccountLogin? login = logins.FirstOrDefault(l => l.Account.Backend == pool.Backend && string.Equals(l.Account.Name, account.Name, StringComparison.OrdinalIgnoreCase));
                WriteAccount(w, account, login, nowMs);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteAccount(Utf8JsonWriter w, PoolAccount account, AccountLogin? login, long nowMs)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, account.Name);
        WriteOptional(w, "source"u8, login?.Account.Source);
        WriteOptional(w, "mode"u8, login?.Login.Mode);
        WriteOptional(w, "plan"u8, login?.Login.Plan);
        bool configured = login?.Login.Configured ?? true;
        w.WriteBoolean("configured"u8, configured);
        WriteOptional(w, "login_problem"u8, Problem(login?.Login.Problem));
        DateTimeOffset? cooling = account.CooldownUntil is { } until && until.ToUnixTimeMilliseconds() > nowMs ? until : null;
        DateTimeOffset? returns = account.ReturnsAt(nowMs);
        w.WriteString("state"u8, !configured ? "no_login" : cooling is not null ? "cooling_down" : returns is not null ? "spent" : "ready");
        WriteTime(w, "cooling_down_until_ms"u8, cooling);
        WriteOptional(w, "cooldown_reason"u8, cooling is null ? null : account.CooldownReason);
        WriteTime(w, "returns_at_ms"u8, returns);
        w.WriteNumber("requests"u8, account.Requests);
        WriteWindow(w, "primary"u8, account.Primary);
        WriteWindow(w, "secondary"u8, account.Secondary);
        WriteOptional(w, "last_error"u8, account.LastError);
        w.WriteEndObject();
    }

    /// <summary>
    /// A login problem without what an exception may quote: "cannot read the login file: …" can name the path or a
    /// character of the file, so only the sentence before the colon is kept for those.
    /// </summary>
    internal static string? Problem(string? problem) =>
        problem is not null && problem.StartsWith("cannot read", StringComparison.Ordinal) && problem.IndexOf(':', StringComparison.Ordinal) is int colon and > 0
            ? problem[..colon]
            : problem;

    private static void WriteWindow(Utf8JsonWriter w, ReadOnlySpan<byte> name, UsageWindow? window)
    {
        if (window is null)
        {
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("used_percent"u8, window.UsedPercent);
        if (window.WindowMinutes is { } minutes)
        {
            w.WriteNumber("window_minutes"u8, minutes);
        }

        WriteTime(w, "resets_at_ms"u8, window.ResetsAt);
        w.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset? time)
    {
        if (time is { } at)
        {
            w.WriteNumber(name, at.ToUnixTimeMilliseconds());
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
