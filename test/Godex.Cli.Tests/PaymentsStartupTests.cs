namespace Godex.Cli.Tests;

/// <summary><c>godex proxy</c> with payments on refuses to start, naming the setting, when the Lightning node is not fully configured.</summary>
public sealed class PaymentsStartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-payments-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int ExitCode, string Error)> StartAsync(string lnd)
    {
        string config = Path.Combine(_dir, "config.yaml");
        await File.WriteAllTextAsync(config, $"""
            proxy:
              listen: 127.0.0.1:0
              simulator: "off"
              database: "off"
              payments:
                enabled: true
                macaroon_key: {Path.Combine(_dir, "keys.json")}
                redeemed_path: {Path.Combine(_dir, "redeemed.jsonl")}
                lnd:
            {lnd}
            """, TestContext.Current.CancellationToken);
        (int exitCode, _, string error) = await CliRunner.RunAsync("proxy", "--config", config);
        return (exitCode, error);
    }

    [Fact]
    public async Task NoNodeUrl_NamesTheSetting()
    {
        (int exitCode, string error) = await StartAsync("      macaroon_path: x");

        Assert.Equal(1, exitCode);
        Assert.Contains("proxy.payments.lnd.url", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingMacaroonFile_NamesTheSettingAndThePath()
    {
        string missing = Path.Combine(_dir, "no-such.macaroon");
        (int exitCode, string error) = await StartAsync($"      url: https://127.0.0.1:1\n      macaroon_path: {missing}\n      tls_cert_path: {missing}");

        Assert.Equal(1, exitCode);
        Assert.Contains("proxy.payments.lnd.macaroon_path", error, StringComparison.Ordinal);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingCertificate_NamesTheSetting()
    {
        string macaroon = Path.Combine(_dir, "invoice.macaroon");
        await File.WriteAllBytesAsync(macaroon, [2, 1, 4], TestContext.Current.CancellationToken);

        (int exitCode, string error) = await StartAsync($"      url: https://127.0.0.1:1\n      macaroon_path: {macaroon}\n      tls_cert_path: {Path.Combine(_dir, "no-such.cert")}");

        Assert.Equal(1, exitCode);
        Assert.Contains("proxy.payments.lnd.tls_cert_path", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "keys.json")), "no key ring is created when startup fails first");
    }

    [Theory]
    [InlineData("--macaroon-key", "keys.json")]
    [InlineData("--l402-redeemed-path", "redeemed.jsonl")]
    public async Task OriginalsL402Flag_WithoutPayments_TurnsL402On_AndNamesWhatIsMissing(string flag, string file)
    {
        string config = Path.Combine(_dir, "plain.yaml");
        await File.WriteAllTextAsync(config, "proxy:\n  database: \"off\"\n", TestContext.Current.CancellationToken);

        (int exitCode, _, string error) = await CliRunner.RunAsync(
            "proxy", flag, Path.Combine(_dir, file), "--listen", "127.0.0.1:0", "--simulator", "off", "--config", config);

        Assert.Equal(1, exitCode);
        string line = Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("proxy.payments.lnd.url", line, StringComparison.Ordinal);
        Assert.Contains($"{flag} turns on L402 payments", line, StringComparison.Ordinal);
    }
}
