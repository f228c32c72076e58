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

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static L402Identifier NewIdentifier() => new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task Concurrent_first_redemptions_credit_exactly_once()
    {
        var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
        L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
        L402Identifier id = NewIdentifier();

        L402Redemption[] redemptions = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => ledger.RedeemAsync(id, 1000, Ct).AsTask())));
        bool[] redeemed = [.. redemptions.Select(r => r.Redeemed)];

        Assert.Single(redeemed, r => r);
        Assert.Single(File.ReadAllLines(Redeemed));
    }

    [Fact]
    public async Task Spent_credit_stays_spent_after_a_restart()
    {
        L402Identifier id = NewIdentifier();
        {
            var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
            L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
            Assert.Equal(new L402Start(L402StartResult.Started, 1000), (await ledger.RedeemAsync(id, 1000, Ct)).Start);
            Assert.Equal(400, await ledger.ChargeAsync(id, 600, Ct));
        }

        {
            var database = GodexDatabase.Open(Path.Combine(_dir, "godex.db"), TimeProvider.System);
            L402CreditLedger ledger = L402CreditLedger.Open(database, Redeemed, TimeProvider.System);
            L402Redemption again = await ledger.RedeemAsync(id, 1000, Ct);
            Assert.Equal(400, again.Start.RemainingMsat);
            Assert.False(again.Redeemed);
        }
    }

    [Fact]
    public async Task Without_a_database_the_jsonl_ledger_still_blocks_a_second_redemption()
    {
        L402Identifier id = NewIdentifier();
        Assert.True((await L402CreditLedger.Open(null, Redeemed, TimeProvider.System).RedeemAsync(id, 1000, Ct)).Redeemed);
        File.AppendAllText(Redeemed, "{\"payment_hash\":\"torn li");

        L402CreditLedger restarted = L402CreditLedger.Open(null, Redeemed, TimeProvider.System);
        L402Redemption again = await restarted.RedeemAsync(id, 1000, Ct);
        Assert.Equal(new L402Start(L402StartResult.UsedUp, 0), again.Start);
        Assert.False(again.Redeemed);
    }

    [Fact]
    public async Task A_second_request_of_one_payment_waits_for_the_first()
    {
        L402CreditLedger ledger = L402CreditLedger.Open(null, Redeemed, TimeProvider.System);
        L402Identifier id = NewIdentifier();
        Assert.Equal(L402StartResult.Started, (await ledger.RedeemAsync(id, 1000, Ct)).Start.Result);
        Assert.Equal(L402StartResult.Busy, (await ledger.RedeemAsync(id, 1000, Ct)).Start.Result);
        await ledger.ChargeAsync(id, 10, Ct);
        Assert.Equal(new L402Start(L402StartResult.Started, 990), (await ledger.RedeemAsync(id, 1000, Ct)).Start);
    }
}
