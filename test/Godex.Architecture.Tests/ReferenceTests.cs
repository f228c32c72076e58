namespace Godex.Architecture.Tests;

/// <summary>
/// The boundaries of the layout, checked on the compiled code: a reference the table in <see cref="Parts"/> does not
/// allow fails the build's tests with the types that made it.
/// </summary>
public sealed class ReferenceTests
{
    [Fact]
    public void EveryReference_IsOneTheTableAllows()
    {
        List<string> forbidden = [.. CodeGraph.References
            .Where(r => !Parts.MayReference(r.From, r.To))
            .GroupBy(r => (r.From, r.To))
            .Select(g => $"{g.Key.From} -> {g.Key.To}: {string.Join(", ", g.Select(r => $"{r.FromType} uses {r.ToType}").Distinct().Take(3))}")];

        Assert.True(forbidden.Count == 0, "references the layout forbids (test/Godex.Architecture.Tests/Parts.cs):\n" + string.Join('\n', forbidden));
    }

    [Fact]
    public void CanonicalModel_ReferencesNothingOfGodex() =>
        AssertNone(r => r.From == "Conversation", "the canonical model references nothing");

    [Fact]
    public void Dialects_NeverReferenceAnotherDialect_ABackend_TheSendPathOrConfiguration() =>
        AssertNone(
            r => r.From.StartsWith("Dialects.", StringComparison.Ordinal)
                && (r.To.StartsWith("Dialects.", StringComparison.Ordinal) || r.To is "Backends" or "SendPath" or "Relay" or "Configuration" || r.To.StartsWith("Providers.", StringComparison.Ordinal)),
            "a dialect references no other dialect and no backend");

    [Fact]
    public void Providers_NeverReferenceEachOther() =>
        AssertNone(r => r.From.StartsWith("Providers.", StringComparison.Ordinal) && r.To.StartsWith("Providers.", StringComparison.Ordinal), "providers never reference each other");

    [Fact]
    public void FrontDoors_SeeBackendsOnlyThroughInterfaces() =>
        AssertNone(r => r.From.StartsWith("Server.", StringComparison.Ordinal) && r.To.StartsWith("Providers.", StringComparison.Ordinal), "the server names no provider");

    [Fact]
    public void Simulator_NeverReferencesProvidersDialectsOrTheServer() =>
        AssertNone(
            r => r.From == "Simulator" && (r.To.StartsWith("Providers.", StringComparison.Ordinal) || r.To.StartsWith("Dialects", StringComparison.Ordinal)
                || r.To is "Backends" or "SendPath" or "Relay" or "Composition" || r.To.StartsWith("Server.", StringComparison.Ordinal)),
            "the simulator is independent of what it tests");

    [Fact]
    public void Parts_HaveNoCycles()
    {
        var graph = CodeGraph.References.GroupBy(r => r.From).ToDictionary(g => g.Key, g => g.Select(r => r.To).Distinct().ToList());
        List<List<string>> cycles = StronglyConnected(graph).Where(component => component.Count > 1).ToList();

        Assert.True(cycles.Count == 0, "parts that reference each other in a cycle: " + string.Join("; ", cycles.Select(c => string.Join(" <-> ", c))));
    }

    private static void AssertNone(Func<(string From, string To, string FromType, string ToType), bool> isViolation, string rule)
    {
        List<string> found = [.. CodeGraph.References.Where(isViolation).Select(r => $"{r.FromType} uses {r.ToType}").Distinct().Take(10)];
        Assert.True(found.Count == 0, $"{rule}:\n" + string.Join('\n', found));
    }

    /// <summary>Tarjan's strongly connected components.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, List<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var components = new List<List<string>>();
        int next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (string target in graph.GetValueOrDefault(node, []))
            {
                if (!index.TryGetValue(target, out int targetIndex))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[node] = Math.Min(low[node], targetIndex);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        foreach (string node in graph.Keys.ToList())
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }
}
