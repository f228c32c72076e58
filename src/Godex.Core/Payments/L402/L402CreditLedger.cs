using System.Globalization;
using System.Text;
using System.Text.Json;
using Godex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Godex.Core.Payments.L402;

/// <summary>
/// What each paid invoice bought and how much of it is spent: the double-spend guard of L402. The first request
/// that presents a payment's preimage <em>redeems</em> it — exactly once, even when several arrive at the same time —
/// crediting the amount its macaroon carries; every request then charges its price against that credit.
/// <para>Each redemption is committed to the proxy database (<c>l402_credits</c>) and appended to the
/// <c>--l402-redeemed-path</c> JSONL ledger before the request is served, so a preimage never buys its credit twice,
/// across restarts too. Without a database (<c>proxy.database: off</c>) the JSONL ledger is the only record: hashes
/// found there at startup count as spent.</para>
/// </summary>
public sealed class L402CreditLedger
{
    private readonly GodexDatabase? _database;
    private readonly string _redeemedPath;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Credit> _credits = new(StringComparer.Ordinal);

    private L402CreditLedger(GodexDatabase? database, string redeemedPath, TimeProvider time)
    {
        _database = database;
        _redeemedPath = redeemedPath;
        _time = time;
    }

    private sealed class Credit(long creditMsat, long spentMsat)
    {
        public long CreditMsat { get; } = creditMsat;

        public long SpentMsat { get; set; } = spentMsat;

        public long RemainingMsat => CreditMsat - SpentMsat;
    }

    /// <summary>Loads every redemption from the database and the JSONL ledger.</summary>
    public static L402CreditLedger Open(GodexDatabase? database, string redeemedPath, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(redeemedPath);
        var ledger = new L402CreditLedger(database, redeemedPath, time);
        if (database is not null)
        {
            using SqliteConnection connection = database.OpenConnection();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT payment_hash, credit_msat, spent_msat FROM l402_credits;";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                ledger._credits[reader.GetString(0)] = new Credit(reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        if (File.Exists(redeemedPath))
        {
            foreach (string line in File.ReadLines(redeemedPath))
            {
                if (TryReadLine(line, out string? hash, out long credit) && !ledger._credits.ContainsKey(hash))
                {
                    // Known only to the JSONL ledger (no database, or a database replaced): spent, so never sold twice.
                    ledger._credits[hash] = new Credit(credit, credit);
                }
            }
        }

        return ledger;
    }

    /// <summary>
    /// The credit left for the payment of <paramref name="identifier"/>, redeeming it first if this is the first time
    /// its preimage is seen (<paramref name="redeemed"/> = true exactly once per payment hash).
    /// </summary>
    public long Redeem(L402Identifier identifier, long creditMsat, out bool redeemed)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        string hash = Convert.ToHexStringLower(identifier.PaymentHash);
        lock (_lock)
        {
            if (_credits.TryGetValue(hash, out Credit? credit))
            {
                redeemed = false;
                return credit.RemainingMsat;
            }

            DateTimeOffset now = _time.GetUtcNow();
            Persist(hash, Convert.ToHexStringLower(identifier.TokenId), creditMsat, now);
            _credits[hash] = new Credit(creditMsat, 0);
            redeemed = true;
            return creditMsat;
        }
    }

    /// <summary>The credit left for a payment hash (hex), or null when it was never redeemed.</summary>
    public long? Remaining(string paymentHashHex)
    {
        lock (_lock)
        {
            return _credits.TryGetValue(paymentHashHex, out Credit? credit) ? credit.RemainingMsat : null;
        }
    }

    /// <summary>Charges a served request's price; the request that crosses the credit completes, the next gets a 402.</summary>
    public long Charge(L402Identifier identifier, long msat)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        string hash = Convert.ToHexStringLower(identifier.PaymentHash);
        long spent;
        long remaining;
        lock (_lock)
        {
            Credit credit = _credits[hash];
            credit.SpentMsat += msat;
            spent = credit.SpentMsat;
            remaining = credit.RemainingMsat;
        }

        if (_database is not null && msat > 0)
        {
            // Per request, like a usage row: not fsynced (a power cut can only lose the last charges, in the payer's
            // favour). Redemptions, the double-spend guard, are.
            using SqliteConnection connection = _database.OpenConnection(CommitDurability.ProcessCrash);
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "UPDATE l402_credits SET spent_msat = max(spent_msat, $spent) WHERE payment_hash = $hash;";
            command.Parameters.AddWithValue("$spent", spent);
            command.Parameters.AddWithValue("$hash", hash);
            command.ExecuteNonQuery();
        }

        return remaining;
    }

    private void Persist(string hash, string tokenId, long creditMsat, DateTimeOffset now)
    {
        // The JSONL line first: if the process dies between the two writes, the payment counts as spent, never twice.
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

        using (var stream = new FileStream(_redeemedPath, options))
        {
            stream.Write(Line(hash, tokenId, creditMsat, now));
            stream.Flush(flushToDisk: true);
        }

        if (_database is not null)
        {
            using SqliteConnection connection = _database.OpenConnection();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO l402_credits (payment_hash, token_id, credit_msat, spent_msat, redeemed_at) VALUES ($hash, $token, $credit, 0, $at);";
            command.Parameters.AddWithValue("$hash", hash);
            command.Parameters.AddWithValue("$token", tokenId);
            command.Parameters.AddWithValue("$credit", creditMsat);
            command.Parameters.AddWithValue("$at", now.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
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
