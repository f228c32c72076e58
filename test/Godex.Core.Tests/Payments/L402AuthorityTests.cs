using System.Security.Cryptography;
using Godex.Core.Payments.L402;
using Godex.Core.Payments.Macaroons;
using Microsoft.Extensions.Time.Testing;

namespace Godex.Core.Tests.Payments;

/// <summary>Minting and checking L402 tokens: every way a credential can be wrong is refused with its reason.</summary>
public sealed class L402AuthorityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godex-l402-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly MacaroonKeyRing _keys;
    private readonly L402Authority _authority;
    private readonly byte[] _preimage = RandomNumberGenerator.GetBytes(32);

    public L402AuthorityTests()
    {
        _keys = MacaroonKeyRing.Open(Path.Combine(_dir, "keys.json"), _time);
        _authority = new L402Authority(_keys, _time);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Macaroon Mint(params string[] models) => _authority.Mint(SHA256.HashData(_preimage), 1_000_000, TimeSpan.FromHours(1), models);

    private static string Header(Macaroon macaroon, byte[] preimage, string scheme = "L402") =>
        $"{scheme} {MacaroonCodec.EncodeBase64(macaroon)}:{Convert.ToHexStringLower(preimage)}";

    private string Refusal(string header)
    {
        Assert.False(_authority.TryVerify(header, out _, out _, out string? error));
        return error;
    }

    [Theory]
    [InlineData("L402")]
    [InlineData("LSAT")]
    public void A_paid_token_verifies_with_its_grant(string scheme)
    {
        Macaroon macaroon = Mint("gpt-*");

        Assert.True(_authority.TryVerify(Header(macaroon, _preimage, scheme), out L402Identifier? id, out L402Grant? grant, out string? error), error);

        Assert.Equal(SHA256.HashData(_preimage), id.PaymentHash);
        Assert.Equal(1_000_000, grant.CreditMsat);
        Assert.Equal(["gpt-*"], grant.Models);
        Assert.Equal(_time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), grant.ValidUntil.ToUnixTimeSeconds());
    }

    [Fact]
    public void The_binary_form_round_trips_and_url_safe_base64_is_accepted()
    {
        Macaroon macaroon = Mint();
        byte[] encoded = MacaroonCodec.Encode(macaroon);
        Assert.True(MacaroonCodec.TryDecode(encoded, out Macaroon? decoded, out _));
        Assert.Equal(encoded, MacaroonCodec.Encode(decoded));

        string urlSafe = Convert.ToBase64String(encoded).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        Assert.True(_authority.TryVerify($"L402 {urlSafe}:{Convert.ToHexStringLower(_preimage)}", out _, out _, out string? error), error);
    }

    [Fact]
    public void A_tampered_macaroon_is_refused()
    {
        byte[] bytes = MacaroonCodec.Encode(Mint());
        int credit = IndexOf(bytes, "godex_credit_msat=1000000"u8);
        bytes[credit + "godex_credit_msat=".Length] = (byte)'9'; // 1000000 → 9000000 without re-signing
        string header = $"L402 {Convert.ToBase64String(bytes)}:{Convert.ToHexStringLower(_preimage)}";

        Assert.Contains("signature is invalid", Refusal(header), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_preimage_is_refused()
    {
        string error = Refusal(Header(Mint(), RandomNumberGenerator.GetBytes(32)));
        Assert.Contains("preimage does not match", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_token_is_refused_and_a_holder_can_only_shorten_expiry()
    {
        Macaroon macaroon = Mint();
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.ValidUntil, _time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds()));
        Assert.True(_authority.TryVerify(Header(macaroon, _preimage), out _, out L402Grant? grant, out _));
        Assert.Equal(_time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds(), grant.ValidUntil.ToUnixTimeSeconds());

        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Contains("expired", Refusal(Header(macaroon, _preimage)), StringComparison.Ordinal);
    }

    [Fact]
    public void Attenuation_narrows_models_and_credit_but_never_widens()
    {
        Macaroon macaroon = Mint("gpt-*", "claude-*");
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.Models, "claude-*,o3"));
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.CreditMsat, 5_000_000));
        macaroon.AddFirstPartyCaveat(L402Caveats.Caveat(L402Caveats.CreditMsat, 10));

        Assert.True(_authority.TryVerify(Header(macaroon, _preimage), out _, out L402Grant? grant, out _));

        Assert.Equal(["claude-*"], grant.Models);
        Assert.Equal(10, grant.CreditMsat);
    }

    [Theory]
    [InlineData("colour=blue", "unknown or malformed caveat 'colour=blue'")]
    [InlineData("services=other:0", "another service")]
    [InlineData("godex_valid_until=soon", "unknown or malformed caveat")]
    public void Unknown_or_foreign_caveats_are_refused(string caveat, string reason)
    {
        Macaroon macaroon = Mint();
        macaroon.AddFirstPartyCaveat(caveat);
        Assert.Contains(reason, Refusal(Header(macaroon, _preimage)), StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_keeps_old_tokens_until_their_key_is_retired()
    {
        Macaroon old = Mint();
        string oldKey = _keys.Current.Id;
        _keys.Rotate();
        Macaroon fresh = Mint();

        Assert.True(_authority.TryVerify(Header(old, _preimage), out _, out _, out _));
        Assert.True(_authority.TryVerify(Header(fresh, _preimage), out _, out _, out _));

        Assert.True(MacaroonKeyRing.Open(Path.Combine(_dir, "keys.json"), _time).Retire(oldKey));
        var reloaded = new L402Authority(MacaroonKeyRing.Open(Path.Combine(_dir, "keys.json"), _time), _time);
        Assert.False(reloaded.TryVerify(Header(old, _preimage), out _, out _, out string? error));
        Assert.Contains("root key was retired", error, StringComparison.Ordinal);
        Assert.True(reloaded.TryVerify(Header(fresh, _preimage), out _, out _, out _));
    }

    [Fact]
    public void The_key_file_is_private_and_survives_a_reload()
    {
        string path = Path.Combine(_dir, "keys.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        MacaroonKeyRing reloaded = MacaroonKeyRing.Open(path, _time);
        Assert.Equal(_keys.Current.Key, reloaded.Current.Key);
    }

    [Theory]
    [InlineData("L402 ")]
    [InlineData("L402 nocolon")]
    [InlineData("L402 !!!:00")]
    [InlineData("L402 AgEEZ29kZXg=:00")]
    public void Garbage_is_refused_with_a_reason_not_an_exception(string header) => Assert.NotEmpty(Refusal(header));

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
