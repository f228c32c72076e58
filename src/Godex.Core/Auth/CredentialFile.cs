using System.Text;
using System.Text.Json.Nodes;

namespace Godex.Core.Auth;

/// <summary>
/// Reads and rewrites the vendor CLIs' credential files (<c>~/.codex/auth.json</c>, <c>~/.claude/.credentials.json</c>)
/// safely: an exclusive lock file shared with concurrent godex processes, and an atomic write (temp file + rename,
/// mode 0600) that changes only the fields godex owns. Everything else in the file survives byte-for-byte in
/// meaning, so the official CLIs keep reading it.
/// </summary>
public static class CredentialFile
{
    /// <summary>
    /// Reads and parses a credential file; a missing or corrupt file is a <see cref="CredentialException"/> naming the
    /// path, followed by <paramref name="hint"/> (how to get a login).
    /// </summary>
    public static JsonObject Read(string path, string hint)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw new CredentialException($"credentials file not found: {path}; {hint}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CredentialException($"credentials file not found: {path}; {hint}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CredentialException($"credentials file {path} cannot be read: {ex.Message}");
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new CredentialException($"credentials file {path} is not a JSON object; {hint}");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new CredentialException($"credentials file {path} is not valid JSON ({ex.Message}); {hint}");
        }
    }

    /// <summary>
    /// Writes <paramref name="document"/> to <paramref name="path"/> atomically: a temp file in the same folder
    /// (mode 0600 from the start), flushed to disk, then renamed over the original.
    /// </summary>
    public static void WriteAtomic(string path, JsonObject document)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                byte[] bytes = Encoding.UTF8.GetBytes(document.ToJsonString(CredentialJson.Indented));
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Takes the cross-process lock for <paramref name="path"/> (<c>path.lock</c>, an exclusive open), waiting up to
    /// <paramref name="timeout"/>. Dispose the result to release it.
    /// </summary>
    public static async Task<IDisposable> LockAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string lockPath = path + ".lock";
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(25, cancellationToken);
            }
            catch (IOException ex)
            {
                throw new CredentialException($"timed out waiting for the lock on {path} ({ex.Message})");
            }
        }
    }
}

/// <summary>A credential file is missing, unreadable, corrupt, or lacks a token. The message names the path.</summary>
public sealed class CredentialException : Exception
{
    public CredentialException(string message)
        : base(message)
    {
    }

    public CredentialException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CredentialException()
    {
    }
}

internal static class CredentialJson
{
    public static System.Text.Json.JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(),
    };
}
