using System.Collections;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Godex.Cli.Tests;

/// <summary>
/// The godex binary built next to these tests, run as a child process with its own temporary HOME (never the user's):
/// what a user gets who types the command, config file in <c>~/.config/godex</c> and all. No <c>GODEX_*</c>,
/// <c>CODEX_HOME</c>, <c>CLAUDE_CONFIG_DIR</c> or <c>ANTHROPIC_*</c> variable of this machine reaches it.
/// </summary>
internal sealed partial class GodexProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GodexProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything the process printed so far (stdout and stderr, in arrival order).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Binary => Path.Combine(AppContext.BaseDirectory, "godex");

    /// <summary>A fresh temporary HOME; <paramref name="config"/>, when given, becomes its <c>~/.config/godex/config.yaml</c>.</summary>
    public static string NewHome(string? config = null)
    {
        string home = Directory.CreateTempSubdirectory("godex-home-").FullName;
        if (config is not null)
        {
            Directory.CreateDirectory(Path.Combine(home, ".config", "godex"));
            File.WriteAllText(Path.Combine(home, ".config", "godex", "config.yaml"), config);
        }

        return home;
    }

    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Binary, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            string name = (string)variable.Key;
            if (name.StartsWith("GODEX_", StringComparison.Ordinal) || name.StartsWith("ANTHROPIC_", StringComparison.Ordinal)
                || name is "CODEX_HOME" or "CLAUDE_CONFIG_DIR" or "XDG_CONFIG_HOME")
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["HOME"] = home;
        return start;
    }

    /// <summary>Runs godex to completion (bounded by <paramref name="timeout"/>, default 60 s).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string home, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        using Process process = Process.Start(StartInfo(home, args))!;
        process.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        Task<string> output = process.StandardOutput.ReadToEndAsync(limit.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts <c>godex proxy --listen 127.0.0.1:0 ...</c> and waits (30 s at most) until it says where it listens.</summary>
    public static async Task<(GodexProcess Process, Uri BaseUrl)> StartProxyAsync(string home, params string[] args)
    {
        var godex = new GodexProcess(Process.Start(StartInfo(home, ["proxy", "--listen", "127.0.0.1:0", .. args]))!);
        godex._process.OutputDataReceived += (_, e) => godex.Line(e.Data);
        godex._process.ErrorDataReceived += (_, e) => godex.Line(e.Data);
        godex._process.BeginOutputReadLine();
        godex._process.BeginErrorReadLine();
        Task exited = godex._process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Task done = await Task.WhenAny(godex._listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        if (done != godex._listening.Task)
        {
            string output = godex.Output;
            await godex.DisposeAsync();
            throw new InvalidOperationException("godex proxy did not start listening:\n" + output);
        }

        return (godex, await godex._listening.Task);
    }

    private void Line(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }
}
