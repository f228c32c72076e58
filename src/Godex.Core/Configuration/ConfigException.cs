namespace Godex.Core.Configuration;

/// <summary>A configuration value is missing, malformed or of the wrong type. The message names the key and the source.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConfigException()
    {
    }
}
