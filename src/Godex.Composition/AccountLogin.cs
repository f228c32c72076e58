namespace Godex.Composition;

/// <summary>One account of an enabled backend with what its login says (mode, plan, problem): never a token.</summary>
internal sealed record AccountLogin(ResolvedAccount Account, LoginStatus Login);
