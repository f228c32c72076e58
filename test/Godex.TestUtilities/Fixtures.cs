namespace Godex.TestUtilities;

/// <summary>
/// Reads the recorded wire traffic in the repository's <c>test/fixtures/</c> (its README names where each recording
/// came from). The folder is found from the test binaries upwards, so a plain clone runs every test.
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
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Godex.slnx")))
            {
                return Path.Combine(dir.FullName, "test", "fixtures");
            }
        }

        throw new DirectoryNotFoundException("Godex.slnx not found above " + AppContext.BaseDirectory + ": the tests read test/fixtures/ of the repository they were built from");
    }
}
