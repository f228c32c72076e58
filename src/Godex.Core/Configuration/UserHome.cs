namespace Godex.Core.Configuration;

/// <summary>The user's home directory, where <c>~</c> in godex's paths points.</summary>
public static class UserHome
{
    /// <summary>
    /// <c>$HOME</c> (or the account's home from the password database), whether or not it exists yet. The plain
    /// <see cref="Environment.GetFolderPath(Environment.SpecialFolder)"/> answers an empty string for a home that does not
    /// exist, which turned <c>~/.godex/godex.db</c> into <c>.godex/godex.db</c> in whatever directory godex was started
    /// from (a service whose HOME is not created yet).
    /// </summary>
    public static string Directory => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
}
