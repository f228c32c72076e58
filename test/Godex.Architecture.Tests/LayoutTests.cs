using System.Text.RegularExpressions;

namespace Godex.Architecture.Tests;

/// <summary>The layout on disk: a namespace is its project and its folder, so that a type is found where its name says.</summary>
public sealed partial class LayoutTests
{
    [Fact]
    public void EveryNamespace_IsItsProjectAndFolder()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        var wrong = new List<string>();
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(src, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))
            {
                continue;
            }

            Match declared = NamespaceLine().Match(File.ReadAllText(file));
            if (!declared.Success)
            {
                continue; // top-level statements (Program.cs)
            }

            string expected = string.Join('.', Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar));
            if (declared.Groups[1].Value != expected)
            {
                wrong.Add($"{relative}: namespace {declared.Groups[1].Value}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, "namespaces that do not match project and folder:\n" + string.Join('\n', wrong));
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Godex.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Godex.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
