using System.Net;

namespace Godex.Core.Configuration;

/// <summary>A parsed <c>host:port</c> from <c>proxy.listen</c>.</summary>
public readonly record struct ListenAddress(IPAddress Address, int Port)
{
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    public static ListenAddress Parse(string listen)
    {
        int colon = listen.LastIndexOf(':');
        string host = listen[..colon].Trim('[', ']');
        int port = int.Parse(listen[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenAddress(IPAddress.Loopback, port);
        }

        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            throw new ConfigException($"proxy.listen: \"{host}\" is not an IP address (use 127.0.0.1, ::1, 0.0.0.0 or localhost)");
        }

        return new ListenAddress(address, port);
    }
}
