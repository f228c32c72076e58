using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using Godex.Core.Json;

namespace Godex.Benchmarks;

/// <summary>
/// The check the passthrough relay makes on every event it forwards — is its data one JSON value? — over the data of
/// every event of a recorded stream (<c>bench/fixtures/codex-response.sse</c>, 9 events, 3.3 KB: bench (c);
/// <c>anthropic-message.sse</c>, 9 events, 0.8 KB: bench (d)): <see cref="JsonSyntax"/>, which the relay uses, beside
/// <see cref="Utf8JsonReader"/> read to the end, which it used before. Per whole stream.
/// </summary>
[MemoryDiagnoser]
public class RelayEventCheckBenchmarks
{
    private byte[][] _events = [];

    [Params("codex-response.sse", "anthropic-message.sse")]
    public string Stream { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _events = File.ReadAllLines(Path.Combine(BenchFixtures.Directory, Stream))
            .Where(line => line.StartsWith("data: ", StringComparison.Ordinal))
            .Select(line => Encoding.UTF8.GetBytes(line["data: ".Length..]))
            .ToArray();
        if (JsonSyntaxCheck() != _events.Length || ReaderCheck() != _events.Length)
        {
            throw new InvalidOperationException($"an event of {Stream} is not JSON");
        }
    }

    [Benchmark(Baseline = true)]
    public int ReaderCheck()
    {
        int valid = 0;
        foreach (byte[] data in _events)
        {
            valid += ReadsToTheEnd(data) ? 1 : 0;
        }

        return valid;
    }

    [Benchmark]
    public int JsonSyntaxCheck()
    {
        int valid = 0;
        foreach (byte[] data in _events)
        {
            valid += JsonSyntax.IsValid(data) ? 1 : 0;
        }

        return valid;
    }

    private static bool ReadsToTheEnd(byte[] data)
    {
        if (!Utf8.IsValid(data))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(data);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
