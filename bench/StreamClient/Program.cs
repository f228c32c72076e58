using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

// streamclient --url URL --body FILE --streams N --pace-ms P [--rounds R] [--header "k: v"]... [--timeout-s T]
// Opens N streamed POSTs at once (each of the N workers runs R streams one after the other, so N stay open for R
// stream lengths) (loopback only), reads every SSE line, and prints one line of JSON:
// how many streams ended cleanly ([DONE] or a terminal event), events per stream (min/max), the largest gap between
// two events of one stream after its first, the peak number of streams open at the same time, and whether the level
// passed: every stream complete with the same event count and no gap over 10x the pace. Bounded by --timeout-s.
var url = new Uri(Arg("--url") ?? throw new ArgumentException("--url is required"));
if (!IPAddress.IsLoopback(IPAddress.Parse(url.Host)))
{
    throw new ArgumentException("loopback only: --url must name 127.0.0.1");
}

var body = await File.ReadAllBytesAsync(Arg("--body") ?? throw new ArgumentException("--body is required"));
var streams = int.Parse(Arg("--streams") ?? "100", CultureInfo.InvariantCulture);
var paceMs = double.Parse(Arg("--pace-ms") ?? "20", CultureInfo.InvariantCulture);
var rounds = int.Parse(Arg("--rounds") ?? "1", CultureInfo.InvariantCulture);
var timeout = TimeSpan.FromSeconds(double.Parse(Arg("--timeout-s") ?? "60", CultureInfo.InvariantCulture));
var headers = new List<(string, string)>();
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--header" && args[i + 1].IndexOf(':', StringComparison.Ordinal) is > 0 and var colon)
    {
        headers.Add((args[i + 1][..colon].Trim(), args[i + 1][(colon + 1)..].Trim()));
    }
}

using var client = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    UseProxy = false,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    ConnectTimeout = TimeSpan.FromSeconds(10),
})
{ Timeout = Timeout.InfiniteTimeSpan };

using var deadline = new CancellationTokenSource(timeout);
var open = 0;
var peakOpen = 0;
var results = new StreamResult[streams * rounds];
var started = Stopwatch.GetTimestamp();
var tasks = new Task[streams];
for (var i = 0; i < streams; i++)
{
    var index = i;
    tasks[i] = Task.Run(async () =>
    {
        for (var r = 0; r < rounds; r++)
        {
            results[(index * rounds) + r] = await RunOneAsync(r);
        }
    });
}

await Task.WhenAll(tasks);
var elapsed = Stopwatch.GetElapsedTime(started);

var completed = results.Count(r => r.Complete);
var minEvents = results.Min(r => r.Events);
var maxEvents = results.Max(r => r.Events);
var maxGap = results.Max(r => r.MaxGapMs);
var gaps = results.Where(r => r.Complete).Select(r => r.MaxGapMs).Order().ToArray();
var p99Gap = gaps.Length == 0 ? 0 : gaps[Math.Min(gaps.Length - 1, (int)(gaps.Length * 0.99))];
var passed = completed == results.Length && minEvents == maxEvents && maxGap <= 10 * paceMs;
var firstError = results.FirstOrDefault(r => r.Error is not null)?.Error;
// Where the largest gap fell (which round, after which event, when it ended): the setup of a round's streams and a
// collection look different here.
var worst = results.MaxBy(r => r.MaxGapMs)!;
var roundGaps = string.Join(",", Enumerable.Range(0, rounds).Select(r =>
    results.Where(x => x.Round == r).Select(x => x.MaxGapMs).DefaultIfEmpty(0).Max().ToString("F1", CultureInfo.InvariantCulture)));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"streams\":{streams},\"rounds\":{rounds},\"completed\":{completed},\"events_min\":{minEvents},\"events_max\":{maxEvents},\"max_gap_ms\":{maxGap:F1},\"p99_max_gap_ms\":{p99Gap:F1},\"peak_open\":{peakOpen},\"round_max_gap_ms\":[{roundGaps}],\"max_gap_after_event\":{worst.MaxGapAfterEvent},\"max_gap_end_s\":{worst.MaxGapEndS:F2},\"seconds\":{elapsed.TotalSeconds:F2},\"passed\":{(passed ? "true" : "false")},\"error\":\"{Escape(firstError)}\"}}"));
return passed ? 0 : 1;

async Task<StreamResult> RunOneAsync(int round)
{
    var result = new StreamResult { Round = round };
    var counted = false;
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            result.Error = $"status {(int)response.StatusCode}";
            return result;
        }

        var now = Interlocked.Increment(ref open);
        counted = true;
        InterlockedMax(ref peakOpen, now);
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        long last = 0;
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            var at = Stopwatch.GetTimestamp();
            if (last != 0)
            {
                var gap = Stopwatch.GetElapsedTime(last, at).TotalMilliseconds;
                if (gap > result.MaxGapMs)
                {
                    result.MaxGapMs = gap;
                    result.MaxGapAfterEvent = result.Events;
                    result.MaxGapEndS = Stopwatch.GetElapsedTime(started, at).TotalSeconds;
                }
            }

            last = at;
            result.Events++;
            if (line.Contains("[DONE]", StringComparison.Ordinal) || line.Contains("\"message_stop\"", StringComparison.Ordinal)
                || line.Contains("\"response.completed\"", StringComparison.Ordinal))
            {
                result.Complete = true;
            }
        }
    }
    catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
    {
        result.Error = ex.GetType().Name + ": " + ex.Message;
        result.Complete = false;
    }
    finally
    {
        if (counted)
        {
            Interlocked.Decrement(ref open);
        }
    }

    return result;
}

static void InterlockedMax(ref int target, int value)
{
    int current;
    while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
    {
    }
}

static string Escape(string? s) => (s ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "'", StringComparison.Ordinal);

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal sealed class StreamResult
{
    public bool Complete { get; set; }

    public int Events { get; set; }

    public double MaxGapMs { get; set; }

    public int Round { get; init; }

    /// <summary>How many events the stream had read when its largest gap ended (1: between its first and second).</summary>
    public int MaxGapAfterEvent { get; set; }

    /// <summary>When the largest gap ended, in seconds since the level started.</summary>
    public double MaxGapEndS { get; set; }

    public string? Error { get; set; }
}
