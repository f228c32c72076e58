namespace Godex.Core.Storage;

/// <summary>
/// The database could not be opened or used: corrupt, locked by another program, unreadable, or from a newer godex.
/// The message names the file and says what to do; godex stops rather than run without its state.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
