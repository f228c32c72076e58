namespace Godex.TestUtilities;

/// <summary>
/// Locates the recorded wire traffic in <c>shared/wire-fixtures/</c> beside the repository (CI clones the project
/// with shared/ next to it), or in the folder named by <c>GODEX_WIRE_FIXTURES</c>.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("GODEX_WIRE_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return fromEnv;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "wire-fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/wire-fixtures not found above " + AppContext.BaseDirectory + "; set GODEX_WIRE_FIXTURES.");
    }
}
