using System.Reflection;

namespace Godex.Core;

/// <summary>The product version, one source for <c>godex --version</c>, <c>/health</c> and the startup log.</summary>
public static class GodexVersion
{
    /// <summary>The informational version without build metadata, e.g. <c>0.1.0</c>.</summary>
    public static string Current { get; } =
        typeof(GodexVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
