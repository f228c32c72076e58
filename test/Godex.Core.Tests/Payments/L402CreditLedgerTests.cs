using System.Security.Cryptography;
using Godex.Core.Payments.L402;
using Godex.Core.Storage;

namespace Godex.Core.Tests.Payments;

/// <summary>The double-spend guard: a payment is redeemed once, its credit is spent once, across restarts too.</summary>
public sealed class L402CreditLedgerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-credits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Redeemed => Path.Combine(_dir, "l402-redeemed.jsonl");

    private static L402Identifier NewIdentifier() => new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task Concurrent_first_redemptions_credit_exactly_once()
    {
        var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
        L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
        L402Identifier id = NewIdentifier();

        bool[] redeemed = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            ledger.Redeem(id, 1000, out bool first);
            return first;
        })));

        Assert.Single(redeemed, r => r);
        Assert.Single(File.ReadAllLines(Redeemed));
    }

    [Fact]
    public void Spent_credit_stays_spent_after_a_restart()
    {
        L402Identifier id = NewIdentifier();
        {
            var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
            L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
            Assert.Equal(1000, ledger.Redeem(id, 1000, out _));
            Assert.Equal(400, ledger.Charge(id, 600));
        }

        {
            var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
            L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
            Assert.Equal(400, ledger.Redeem(id, 1000, out bool again));
            Assert.False(again);
        }
    }

    [Fact]
    public void Without_a_database_the_jsonl_ledger_still_blocks_a_second_redemption()
    {
        L402Identifier id = NewIdentifier();
        L402CreditLedger.Open(null, Redeemed, TimeProvider.System).Redeem(id, 1000, out bool first);
        Assert.True(first);
        File.AppendAllText(Redeemed, "{\"payment_hash\":\"torn li");

        L402CreditLedger restarted = L402CreditLedger.Open(null, Redeemed, TimeProvider.System);
        Assert.Equal(0, restarted.Redeem(id, 1000, out bool again));
        Assert.False(again);
    }
}
