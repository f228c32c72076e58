namespace Godex.Cli.Setup;

/// <summary>A unified-style line diff (<c>-</c> removed, <c>+</c> added, two lines of context), for showing a change before it is written.</summary>
internal static class LineDiff
{
    public static string Format(string path, string before, string after)
    {
        string[] a = Lines(before);
        string[] b = Lines(after);

        // Longest common subsequence table; config files are small (a few hundred lines at most).
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<(char Kind, string Line)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                edits.Add((' ', a[x++]));
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                edits.Add(('+', b[y++]));
            }
            else
            {
                edits.Add(('-', a[x++]));
            }
        }

        var output = new System.Text.StringBuilder();
        output.Append("--- ").Append(before.Length == 0 ? "/dev/null" : path).Append('\n');
        output.Append("+++ ").Append(path).Append('\n');
        for (int k = 0; k < edits.Count; k++)
        {
            bool near = false;
            for (int d = Math.Max(0, k - 2); d <= Math.Min(edits.Count - 1, k + 2) && !near; d++)
            {
                near = edits[d].Kind != ' ';
            }

            if (near)
            {
                output.Append(edits[k].Kind).Append(edits[k].Line).Append('\n');
            }
            else if (k > 0 && output[^1] == '\n' && !output.ToString().EndsWith("...\n", StringComparison.Ordinal))
            {
                output.Append("...\n");
            }
        }

        return output.ToString();
    }

    private static string[] Lines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
}
