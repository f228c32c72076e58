#!/usr/bin/env python3
"""Turns bench/run.sh's results TSV (mode, scenario, target, rep, metric, value) into the Markdown table:
medians over the repetitions, ratios computed within this one run, and the issue-8 targets met or missed.
Usage: report.py RESULTS.tsv META.txt"""
import json
import statistics
import sys
from collections import defaultdict

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]
meta = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[2], encoding="utf-8") if "=" in line)

values = defaultdict(list)
notes = defaultdict(list)
g_levels = defaultdict(list)
g_votes = {}
order = []
for row in rows:
    if len(row) != 6:
        continue
    mode, scenario, target, rep, metric, value = row
    if metric == "note":
        notes[(mode, scenario)].append(value)
        continue
    if metric == "level_result":
        g_levels[(mode, target)].append((rep, value))
        continue
    if metric == "level_vote":
        g_votes[(mode, target, rep)] = value
        continue
    if (mode, scenario, target) not in order and target != "-":
        order.append((mode, scenario, target))
    try:
        values[(mode, scenario, target, metric)].append(float(value))
    except ValueError:
        pass


def med(mode, scenario, target, metric):
    v = values.get((mode, scenario, target, metric))
    return statistics.median(v) if v else None


def per_stream_kb(mode, target):
    """(g): what the process grew by over its idle RSS at its best level, per open stream."""
    level, peak, idle = (med(mode, "g", target, m) for m in ("streams_ok", "rss_at_best_mb", "rss_idle_mb"))
    return (peak - idle) * 1024 / level if level and peak is not None and idle is not None else None


def fmt(v, digits=0, suffix=""):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}{suffix}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "—"


TITLES = {
    "a": "(a) chat → Anthropic, non-stream",
    "b": "(b) chat → Anthropic, streamed",
    "c": "(c) /v1/responses → Codex backend passthrough, streamed",
    "d": "(d) /v1/messages → Anthropic passthrough, streamed",
    "e": "(e) chat → Codex backend, streamed",
    "f": "(f) ~100 KB request (history + tools), chat → Anthropic, non-stream",
    "g": "(g) paced streams",
}
NAMES = {"direct": "direct (nginx, the limit)", "floor": ".NET pass-through floor", "translate": ".NET DOM-translate floor",
         "godex": "**godex**", "portkey": "Portkey 1.15.2"}

out = []
out.append(f"Run {meta.get('date', '?')} · {meta.get('nproc', '?')} CPU ({meta.get('cpu', '?')}) · kernel {meta.get('kernel', '?')} · "
           f"godex {meta.get('godex', '?')} @ {meta.get('commit', '?')} · nginx {meta.get('nginx', '?')} · wrk {meta.get('wrk', '?')} · "
           f"node {meta.get('node', '?')} · reps={meta.get('reps', '')} · load average at start {meta.get('load', '?')}")
out.append("")
modes = []
for mode, _, _ in order:
    if mode not in modes:
        modes.append(mode)
for mode, scenario in notes:
    if mode not in modes:
        modes.append(mode)

for mode in modes:
    scenarios = sorted({s for m, s, _ in order if m == mode} | {s for m, s in notes if m == mode})
    out.append(f"### {mode}" + (" (proxy on CPU 0; wrk + upstream on the other CPUs)" if mode == "pinned" else " (no taskset)"))
    out.append("")
    for scenario in scenarios:
        out.append(f"**{TITLES.get(scenario, scenario)}**")
        out.append("")
        targets = [t for m, s, t in order if m == mode and s == scenario]
        if scenario == "g":
            out.append("| target | most concurrent paced streams without a stall (most tries) | RSS there (MB) | idle RSS (MB) | added RSS per open stream (KB) | levels tried: tries passed (each try: largest gap, by round) |")
            out.append("|---|---:|---:|---:|---:|---|")
            for t in targets:
                tries = defaultdict(list)
                for level, raw in g_levels.get((mode, t), []):
                    tries[level].append(raw)
                tried = []
                for level, raws in tries.items():
                    shown = []
                    for raw in raws:
                        try:
                            r = json.loads(raw)
                            rounds = r.get("round_max_gap_ms")
                            shown.append(f"{'ok' if r.get('passed') else 'FAIL'} {r.get('max_gap_ms')} ms"
                                         + (f" {rounds}" if rounds else "")
                                         + ("" if r.get("completed") == r.get("streams", 0) * r.get("rounds", 1) else f", {r.get('completed')} complete"))
                        except (ValueError, TypeError):
                            shown.append("?")
                    vote = g_votes.get((mode, t, level))
                    tried.append(f"{level}: {vote + ' passed' if vote else ''} ({'; '.join(shown)})")
                out.append(f"| {NAMES.get(t, t)} | {fmt(med(mode, 'g', t, 'streams_ok'))} | {fmt(med(mode, 'g', t, 'rss_at_best_mb'), 1)} | "
                           f"{fmt(med(mode, 'g', t, 'rss_idle_mb'), 1)} | {fmt(per_stream_kb(mode, t))} | {'; '.join(tried)} |")
        elif targets:
            d_rps = med(mode, scenario, "direct", "rps")
            d_p50 = med(mode, scenario, "direct", "p50_us")
            d_p99 = med(mode, scenario, "direct", "p99_us")
            f_rps = med(mode, scenario, "floor", "rps")
            t_rps = med(mode, scenario, "translate", "rps")
            k_rps = med(mode, scenario, "portkey", "rps")
            out.append("| target | req/s c=64 | p50 c=1 (µs) | p99 c=1 (µs) | added p50 / p99 vs direct (µs) | p99 c=64 (ms) | "
                       "RSS idle / load / peak (MB) | start → first request (ms) | × direct | × pass floor | × translate floor | × Portkey | errors |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for t in targets:
                rps = med(mode, scenario, t, "rps")
                p50 = med(mode, scenario, t, "p50_us")
                p99 = med(mode, scenario, t, "p99_us")
                added = "—" if t == "direct" or p50 is None or d_p50 is None else f"{p50 - d_p50:+,.0f} / {p99 - d_p99:+,.0f}"
                rss = " / ".join(fmt(med(mode, scenario, t, m), 1) for m in ("rss_idle_mb", "rss_load_mb", "rss_peak_mb"))
                errors = values.get((mode, scenario, t, "errors"), [])
                out.append(f"| {NAMES.get(t, t)} | {fmt(rps)} | {fmt(p50)} | {fmt(p99)} | {added} | "
                           f"{fmt(None if med(mode, scenario, t, 'p99_c64_us') is None else med(mode, scenario, t, 'p99_c64_us') / 1000, 2)} | "
                           f"{rss if t != 'direct' else '—'} | {fmt(med(mode, scenario, t, 'startup_ms'))} | "
                           f"{ratio(rps, d_rps) if t != 'direct' else '1'} | {ratio(rps, f_rps) if t != 'floor' else '1'} | "
                           f"{ratio(rps, t_rps) if t != 'translate' else '1'} | {ratio(rps, k_rps) if t != 'portkey' else '1'} | "
                           f"{int(sum(errors)) if errors else '—'} |")
        for n in notes.get((mode, scenario), []):
            out.append(f"\n_{n}_")
        out.append("")

# Targets of issue 8, judged on the pinned run (the unpinned one if there is no pinned run).
mode = "pinned" if "pinned" in modes else (modes[0] if modes else None)
if mode:
    out.append(f"### Targets (issue 8), {mode} run")
    out.append("")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")

    def verdict(ok):
        return "—" if ok is None else ("met" if ok else "**missed**")

    g_rps, k_rps, t_rps = (med(mode, "a", x, "rps") for x in ("godex", "portkey", "translate"))
    d_rps = med(mode, "a", "direct", "rps")
    if g_rps and d_rps:
        out.append(f"| upstream never the bottleneck: direct ≥ 3× godex on (a) | {d_rps / g_rps:.1f}× | {verdict(d_rps >= 3 * g_rps)} |")
    if g_rps and k_rps:
        out.append(f"| (a) throughput ≥ 10× Portkey | {g_rps / k_rps:.1f}× | {verdict(g_rps >= 10 * k_rps)} |")
    if g_rps and t_rps:
        out.append(f"| (a) throughput ≥ 1.0× naive translate floor | {g_rps / t_rps:.2f}× | {verdict(g_rps >= t_rps)} |")
    g50, d50 = med(mode, "a", "godex", "p50_us"), med(mode, "a", "direct", "p50_us")
    g99, d99 = med(mode, "a", "godex", "p99_us"), med(mode, "a", "direct", "p99_us")
    if g50 is not None and d50 is not None:
        out.append(f"| (a) p50 added at c=1 ≤ 0.3 ms | {(g50 - d50) / 1000:.3f} ms | {verdict(g50 - d50 <= 300)} |")
    if g99 is not None:
        out.append(f"| (a) p99 at c=1 ≤ 1.5 ms | {g99 / 1000:.3f} ms (added {(g99 - (d99 or 0)) / 1000:.3f} ms) | {verdict(g99 <= 1500)} |")
    for s in ("c", "d"):
        gr, fr = med(mode, s, "godex", "rps"), med(mode, s, "floor", "rps")
        if gr and fr:
            out.append(f"| ({s}) passthrough ≥ 0.8× pass-through floor | {gr / fr:.2f}× | {verdict(gr >= 0.8 * fr)} |")
        else:
            out.append(f"| ({s}) passthrough ≥ 0.8× pass-through floor | not measured in this run | — |")
    gs = med(mode, "g", "godex", "streams_ok")
    if gs is not None:
        fs = med(mode, "g", "floor", "streams_ok")
        kb = per_stream_kb(mode, "godex")
        out.append(f"| (g) the pass-through floor's level of paced streams | {gs:.0f} (floor {fmt(fs)}) | {verdict(None if fs is None else gs >= fs)} |")
        out.append(f"| (g) ≤ 150 KB of RSS per open stream (added over idle, at its level) | {fmt(kb)} KB | {verdict(None if kb is None else kb <= 150)} |")
    idle = med(mode, "a", "godex", "rss_idle_mb")
    if idle is not None:
        out.append(f"| idle RSS ≤ 35 MB | {idle:.1f} MB | {verdict(idle <= 35)} |")
    start = med(mode, "a", "godex", "startup_ms")
    if start is not None:
        out.append(f"| first request ≤ 100 ms after process start | {start:.0f} ms | {verdict(start <= 100)} |")
    out.append("| auth + routing + metering ≤ 50 µs p99 on top of (a) | not in this harness: every godex row above already meters each request (anonymous key); the key check + limiter + queueing the row is `bench/Godex.Benchmarks` KeyMiddlewareBenchmarks, the SQLite write of the row UsageLedgerBenchmarks (BenchmarkDotNet) | see docs/performance.md |")
    out.append("")

print("\n".join(out))
