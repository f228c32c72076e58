using System.Globalization;
using System.Text;
using System.Text.Json;
using Godex.Core.Storage;

namespace Godex.Core.Payments.L402;

/// <summary>
/// What each paid invoice bought and how much of it is spent: the double-spend guard of L402. The first request
/// that presents a payment's preimage <em>redeems</em> it — exactly once, even when several arrive at the same time,
/// at one instance or several — crediting the amount its macaroon carries; every request then charges its price
/// against that credit, one request in flight per payment (so the credit is overdrawn by at most one request).
/// <para>The credits live in an <see cref="IL402CreditStore"/> (this process and the SQLite database, or PostgreSQL
/// shared by every instance); each redemption is also appended to the <c>--l402-redeemed-path</c> JSONL ledger before
/// the request is served. Hashes found only in the JSONL ledger at startup count as spent, so a preimage never buys
/// its credit twice, across restarts and database changes too.</para>
/// </summary>
public sealed class L402CreditLedger
{
    private readonly IL402CreditStore _store;
    private readonly string _redeemedPath;
    private readonly TimeProvider _time;
    private readonly Lock _fileLock = new();

    private L402CreditLedger(IL402CreditStore store, string redeemedPath, TimeProvider time)
    {
        _store = store;
        _redeemedPath = redeemedPath;
        _time = time;
    }

    /// <summary>The credits of this process (and its SQLite database, when there is one), plus the JSONL ledger.</summary>
    public static L402CreditLedger Open(GodexDatabase? database, string redeemedPath, TimeProvider time) =>
        OpenAsync(new LocalL402CreditStore(database), redeemedPath, time, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The credits of <paramref name="store"/>, after importing the hashes only the JSONL ledger knows as spent.</summary>
    public static async Task<L402CreditLedger> OpenAsync(IL402CreditStore store, string redeemedPath, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(redeemedPath);
        if (File.Exists(redeemedPath))
        {
            foreach (string line in File.ReadLines(redeemedPath))
            {
                if (TryReadLine(line, out string? hash, out long credit))
                {
                    await store.ImportSpentAsync(hash, credit, time.GetUtcNow(), cancellationToken);
                }
            }
        }

        return new L402CreditLedger(store, redeemedPath, time);
    }

    /// <summary>
    /// Redeems the payment of <paramref name="identifier"/> if this is the first time its preimage is seen anywhere
    /// (<see cref="L402Redemption.Redeemed"/> true exactly once per payment hash), then starts a request on its credit.
    /// </summary>
    public async ValueTask<L402Redemption> RedeemAsync(L402Identifier identifier, long creditMsat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        string hash = Convert.ToHexStringLower(identifier.PaymentHash);
        DateTimeOffset now = _time.GetUtcNow();
        bool redeemed = await _store.RedeemAsync(hash, Convert.ToHexStringLower(identifier.TokenId), creditMsat, now, cancellationToken);
        if (redeemed)
        {
            AppendLine(hash, Convert.ToHexStringLower(identifier.TokenId), creditMsat, now);
        }

        L402Start start = await _store.BeginAsync(hash, cancellationToken);
        return new L402Redemption(redeemed, start);
    }

    /// <summary>The credit left for a payment hash (hex), or null when it was never redeemed.</summary>
    public ValueTask<long?> RemainingAsync(string paymentHashHex, CancellationToken cancellationToken) => _store.RemainingAsync(paymentHashHex, cancellationToken);

    /// <summary>Charges a served request's price and ends it; the request that crosses the credit completes, the next gets a 402.</summary>
    public ValueTask<long> ChargeAsync(L402Identifier identifier, long msat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return _store.ChargeAsync(Convert.ToHexStringLower(identifier.PaymentHash), msat, cancellationToken);
    }

    private void AppendLine(string hash, string tokenId, long creditMsat, DateTimeOffset now)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(_redeemedPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        lock (_fileLock)
        {
            using var stream = new FileStream(_redeemedPath, options);
            stream.Write(Line(hash, tokenId, creditMsat, now));
            stream.Flush(flushToDisk: true);
        }
    }

    private static byte[] Line(string hash, string tokenId, long creditMsat, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("payment_hash"u8, hash);
            writer.WriteString("token_id"u8, tokenId);
            writer.WriteNumber("credit_msat"u8, creditMsat);
            writer.WriteString("redeemed_at"u8, now.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static bool TryReadLine(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? hash, out long credit)
    {
        hash = null;
        credit = 0;
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(line));
            if (document.RootElement.TryGetProperty("payment_hash", out JsonElement h) && h.ValueKind == JsonValueKind.String
                && document.RootElement.TryGetProperty("credit_msat", out JsonElement c) && c.TryGetInt64(out credit))
            {
                hash = h.GetString()!;
                return true;
            }
        }
        catch (JsonException)
        {
            // A torn last line (crash mid-write): skipped; its payment was never served.
        }

        return false;
    }
}

/// <summary>What <see cref="L402CreditLedger.RedeemAsync"/> did: whether it redeemed the payment, and whether the request may start.</summary>
public readonly record struct L402Redemption(bool Redeemed, L402Start Start);
