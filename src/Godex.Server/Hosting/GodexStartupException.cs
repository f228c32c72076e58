namespace Godex.Server.Hosting;

/// <summary>godex cannot start as configured (address in use, unsafe listen address, no backend). The message says why.</summary>
public sealed class GodexStartupException : Exception
{
    public GodexStartupException(string message)
        : base(message)
    {
    }

    public GodexStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GodexStartupException()
    {
    }
}
