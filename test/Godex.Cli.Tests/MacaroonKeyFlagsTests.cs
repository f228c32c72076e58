using System.Text.Json;

namespace Godex.Cli.Tests;

/// <summary><c>godex proxy --macaroon-rotate / --macaroon-retire</c> change the key ring before the server starts.</summary>
public sealed class MacaroonKeyFlagsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-macaroon-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KeyFile => Path.Combine(_dir, "macaroon-keys.json");

    private JsonElement[] Keys() => JsonDocument.Parse(File.ReadAllText(KeyFile)).RootElement.GetProperty("keys").EnumerateArray().ToArray();

    // A non-loopback listen without a client key stops the server at startup, after the key ring was changed.
    // (With proxy.database off GodexApp refuses that before it opens any file, so nothing outside the temp folder is
    // touched.)
    private string[] NoServer
    {
        get
        {
            string config = Path.Combine(_dir, "no-database.yaml");
            File.WriteAllText(config, "proxy:\n  database: \"off\"\n");
            return ["--listen", "0.0.0.0:0", "--simulator", "off", "--config", config];
        }
    }

    [Fact]
    public async Task Rotate_AddsACurrentKey_AndKeepsTheOldOne()
    {
        (int first, string output, _) = await CliRunner.RunAsync(["proxy", "--macaroon-key", KeyFile, "--macaroon-rotate", .. NoServer]);
        Assert.Equal(1, first);
        Assert.Contains("is now current", output, StringComparison.Ordinal);
        Assert.Equal(2, Keys().Length); // the one created on first use, and the rotated-in one

        (_, _, _) = await CliRunner.RunAsync(["proxy", "--macaroon-key", KeyFile, "--macaroon-rotate", .. NoServer]);
        Assert.Equal(3, Keys().Length);
        Assert.All(Keys(), k => Assert.Equal(JsonValueKind.Null, k.GetProperty("retired_at").ValueKind));
    }

    [Fact]
    public async Task Retire_MarksTheKey_AndAnUnknownIdIsAnError()
    {
        await CliRunner.RunAsync(["proxy", "--macaroon-key", KeyFile, "--macaroon-rotate", .. NoServer]);
        string oldest = Keys()[0].GetProperty("id").GetString()!;

        (_, string output, _) = await CliRunner.RunAsync(["proxy", "--macaroon-key", KeyFile, "--macaroon-retire", oldest, .. NoServer]);
        Assert.Contains($"{oldest} retired", output, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, Keys()[0].GetProperty("retired_at").ValueKind);

        (int exitCode, _, string error) = await CliRunner.RunAsync(["proxy", "--macaroon-key", KeyFile, "--macaroon-retire", "nope", .. NoServer]);
        Assert.Equal(1, exitCode);
        Assert.Contains("no active macaroon root key nope", error, StringComparison.Ordinal);
    }
}
