using System.Security.Cryptography;
using System.Text;
using Godex.Core.Keys;

namespace Godex.Core.Tests.Keys;

public sealed class KeySecretsTests
{
    private static readonly byte[] s_databaseA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] s_databaseB = RandomNumberGenerator.GetBytes(32);

    public static TheoryData<string> Secrets() => new()
    {
        "",
        "x",
        KeySecrets.NewSecret(),
        new string('k', 85), // 255 bytes of UTF-8 at most: the stack buffer
        new string('k', 86), // 258 at most: a pooled buffer
        string.Concat(Enumerable.Repeat("ключ-🔑", 100)),
    };

    /// <summary>The thread's reused HMAC gives exactly the one-shot HMAC, for either database secret in any order.</summary>
    [Theory]
    [MemberData(nameof(Secrets))]
    public void Hash_IsTheKeyedHmacOfTheSecret_WhicheverDatabaseSecretCameBefore(string secret)
    {
        foreach (byte[] database in new[] { s_databaseA, s_databaseB, s_databaseB, s_databaseA })
        {
            Assert.Equal(OneShot(database, secret), KeySecrets.Hash(database, secret));
        }
    }

    [Fact]
    public void Hash_FromManyThreadsAtOnce_IsAlwaysTheOneShotHmac()
    {
        string[] secrets = Enumerable.Range(0, 64).Select(i => KeySecrets.NewSecret() + new string('x', i * 5)).ToArray();
        string[] expected = secrets.Select((s, i) => OneShot(i % 2 == 0 ? s_databaseA : s_databaseB, s)).ToArray();
        Parallel.For(0, 4_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % secrets.Length;
            Assert.Equal(expected[k], KeySecrets.Hash(k % 2 == 0 ? s_databaseA : s_databaseB, secrets[k]));
        });
    }

    private static string OneShot(byte[] database, string secret) =>
        KeySecrets.HmacPrefix + Convert.ToHexStringLower(HMACSHA256.HashData(database, Encoding.UTF8.GetBytes(secret)));
}
