using System.Diagnostics;

namespace Godex.Cli.Tests;

/// <summary>Where <c>~</c> points when the home directory does not exist yet (a service account, a fresh container).</summary>
public sealed class HomeDirectoryTests
{
    [Fact]
    public async Task AHomeThatDoesNotExistYet_GetsTheDatabase_NotTheDirectoryGodexWasStartedFrom()
    {
        string root = Directory.CreateTempSubdirectory("godex-home-missing-").FullName;
        try
        {
            string home = Path.Combine(root, "home-not-created");
            string startedFrom = Directory.CreateDirectory(Path.Combine(root, "cwd")).FullName;
            ProcessStartInfo start = GodexProcess.StartInfo(home, ["proxy", "keys", "add", "--label", "service", "--json"]);
            start.WorkingDirectory = startedFrom;
            using Process process = Process.Start(start)!;
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            Assert.True(process.ExitCode == 0, await error);
            Assert.Contains("key_id", await output, StringComparison.Ordinal);
            // ~/.godex/godex.db was .godex/godex.db in the working directory when HOME did not exist.
            Assert.True(File.Exists(Path.Combine(home, ".godex", "godex.db")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(startedFrom));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
