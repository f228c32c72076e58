using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Dependencies;
using ArchUnitNET.Loader;

namespace Godex.Architecture.Tests;

/// <summary>
/// The references between godex's parts, read from the compiled assemblies (every type a type uses: fields,
/// signatures, base types, method bodies), with each namespace mapped to the part it belongs to.
/// </summary>
internal static class CodeGraph
{
    private static readonly Lazy<ArchUnitNET.Domain.Architecture> s_architecture = new(() => new ArchLoader()
        .LoadAssemblies(
            typeof(Godex.Core.GodexVersion).Assembly,
            System.Reflection.Assembly.Load("Godex.Simulator"),
            System.Reflection.Assembly.Load("Godex.Composition"),
            System.Reflection.Assembly.Load("Godex.Server"),
            System.Reflection.Assembly.Load("godex"))
        .Build());

    /// <summary>Every reference from a godex type to a godex type of another part: (from part, to part, from type, to type).</summary>
    public static IReadOnlyList<(string From, string To, string FromType, string ToType)> References { get; } = Collect();

    /// <summary>The part a namespace belongs to (<see cref="Parts.Of"/>).</summary>
    private static List<(string, string, string, string)> Collect()
    {
        var references = new List<(string, string, string, string)>();
        foreach (IType type in s_architecture.Value.Types)
        {
            string? from = type.Namespace?.FullName is { } ns ? Parts.Of(ns) : null;
            if (from is null)
            {
                continue;
            }

            foreach (ITypeDependency dependency in type.Dependencies)
            {
                string? to = dependency.Target?.Namespace?.FullName is { } target ? Parts.Of(target) : null;
                if (to is not null && to != from)
                {
                    references.Add((from, to, type.FullName, dependency.Target!.FullName));
                }
            }
        }

        return references;
    }
}
