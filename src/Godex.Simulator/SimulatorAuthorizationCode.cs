namespace Godex.Simulator;

/// <summary>
/// What an authorization code was issued for: the token endpoint redeems it only with a <c>code_verifier</c> that hashes
/// (S256) to <see cref="Challenge"/>, the same <c>redirect_uri</c> and the same <c>client_id</c> (RFC 6749 §4.1.3,
/// RFC 7636 §4.6), once.
/// </summary>
internal sealed record SimulatorAuthorizationCode(string Challenge, string RedirectUri, string ClientId);
