#!/usr/bin/env python3
"""Memory of the native godex binary under large bodies and a mixed soak (issue 14, item 12).

  burst  N requests of SIZE bytes each (default 200 x 19 MB) to /v1/chat/completions, CONCURRENCY at a time, through
         godex to the scripted upstream (test/hostile/upstream.py); then IDLE seconds without requests. Prints RSS
         (VmRSS of the godex process) before, at its peak, after the burst and after the idle time, and fails when the
         last is above --max-idle-rss MB or the peak above --max-peak-rss MB (60 x 19 MB on a 2-core machine: ~500 MB
         with the large-body collection of LargeBodies.cs, ~1,450 MB without it).
  soak   MINUTES of mixed load (every front door, streamed and not, small and 1-2 MB bodies, hostile bodies and
         upstream faults) at a bounded rate; RSS sampled every 5 s. Every --settle-every minutes the load pauses for
         --settle seconds, long enough for godex's idle trimmer to collect, and RSS is sampled once more at the end of
         the pause: the "settled" RSS, what the process keeps once the garbage of the moment is gone. Fails when the
         least-squares slope of the settled samples after the first fifth is above --max-slope (MB per hour), or on a
         hang. The slope of the raw samples is printed too: it moves +-40 MB/hour between runs of the same binary with
         where the GC heap happens to be (1-2 MB bodies in flight), which says nothing about a leak; a leak is memory that
         stays after the trim.

Usage: memory.py burst|soak [--binary PATH] [--requests N] [--size BYTES] [--concurrency N] [--idle S] [--max-peak-rss MB] [--minutes M] [--settle-every M] [--settle S]
Loopback only; every loop bounded in count and time. Prints a closing "N passed, N failed" line.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the harness: start(), exchange(), request_bytes())


def rss_mb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return 0.0


def gc_heap_mb(pid):
    """
    The resident part of the GC heap: the mappings contiguous with the GC's reservation (its largest inaccessible
    mapping, tens of GB; committed regions are carved from its start). Tells managed memory from native in RSS.
    """
    vmas = []
    try:
        with open(f'/proc/{pid}/smaps') as f:
            for line in f:
                head = line.split(maxsplit=2)
                if '-' in head[0] and not head[0].endswith(':'):
                    start, end = (int(x, 16) for x in head[0].split('-'))
                    vmas.append([start, end, head[1], 0])
                elif head[0] == 'Rss:' and vmas:
                    vmas[-1][3] = int(head[1])
    except OSError:
        return 0.0
    reserve = max(range(len(vmas)), key=lambda i: vmas[i][1] - vmas[i][0] if vmas[i][2] == '---p' else -1, default=None)
    if reserve is None:
        return 0.0
    first = last = reserve
    while first > 0 and vmas[first - 1][1] == vmas[first][0]:
        first -= 1
    while last + 1 < len(vmas) and vmas[last + 1][0] == vmas[last][1]:
        last += 1
    return sum(v[3] for v in vmas[first:last + 1]) / 1024


def chat_body(size, stream=False, model=run.CODEX_MODEL):
    filler = 'lorem ipsum dolor sit amet ' * (max(0, size - 200) // 27 + 1)
    return json.dumps({'model': model, 'stream': stream, 'messages': [{'role': 'user', 'content': filler[:max(1, size - 200)]}]}).encode()


def burst(args, port, pid):
    body = chat_body(args.size)
    request = run.request_bytes('POST', '/v1/chat/completions', body, {'Content-Type': 'application/json'})
    before = rss_mb(pid)
    peak = [before]
    statuses = {}
    lock = threading.Lock()
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()

    def one(_):
        answer = run.exchange(port, request, 120)
        with lock:
            statuses[answer.status] = statuses.get(answer.status, 0) + 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(one, range(args.requests)))
    done.set()
    sampler.join()
    after = rss_mb(pid)
    elapsed = time.monotonic() - started
    print(f'burst: {args.requests} requests of {args.size / 1e6:.1f} MB, {args.concurrency} at a time, in {elapsed:.0f} s; statuses {statuses}')
    print(f'rss: before {before:.0f} MB, peak {peak[0]:.0f} MB (bound {args.max_peak_rss} MB), right after {after:.0f} MB', flush=True)
    samples = []
    for second in range(args.idle):
        time.sleep(1)
        if second % 10 == 9:
            samples.append(f'{second + 1}s {rss_mb(pid):.0f}')
    idle = rss_mb(pid)
    print(f'idle: {", ".join(samples)} MB; after {args.idle} s idle {idle:.0f} MB (bound {args.max_idle_rss} MB)')
    ok = idle <= args.max_idle_rss and peak[0] <= args.max_peak_rss and statuses.get(200, 0) > 0 and all(s in (200, 503) for s in statuses)
    return ok


def soak(args, port, pid):
    corpus = json.load(open(os.path.join(run.HERE, 'client-cases.json')))
    hostile = [c for c in run.expand_client(corpus) if 'raw' not in c and len(c.get('body', b'')) < 200_000 and not c.get('within')]
    faults = [f for f in json.load(open(os.path.join(run.HERE, 'upstream-faults.json')))['faults']
              if f['expect']['kind'] in ('ok', 'error') and not f.get('within') and not f.get('serial')]
    routes = list(run.ROUTES.values())
    rng = random.Random(14)
    counter = iter(range(1, 1 << 30))
    deadline = time.monotonic() + args.minutes * 60
    samples = []
    gc_samples = []  # the GC heap's share of each RSS sample
    counts = {'requests': 0, '5xx': 0, 'hangs': 0}
    statuses_5xx = {}  # which 5xx, and on which path: a 503 with Retry-After (body budget, busy database) is by design
    lock = threading.Lock()
    stop = threading.Event()
    running = threading.Event()  # cleared while the load pauses for a settled sample
    running.set()
    busy = [0]  # requests in flight

    def worker(seed):
        local = random.Random(seed)
        while not stop.is_set() and time.monotonic() < deadline:
            if not running.is_set():
                running.wait(1)
                continue
            with lock:
                busy[0] += 1
            pick = local.random()
            if pick < 0.55:
                route = local.choice(routes)
                stream = not route.get('no_stream') and local.random() < 0.5
                size = local.choice([300, 3_000, 30_000, 300_000, 1_500_000])
                body = json.loads(run.fault_body(route, 'none', stream, 'soak'))
                text = 'x' * size
                if 'messages' in body:
                    body['messages'][0]['content'] = text
                else:
                    body['input'] = text
                answer = run.exchange(port, run.request_bytes('POST', route['path'], json.dumps(body).encode(), {'Content-Type': 'application/json'}), 60)
                bad5xx = answer.status is not None and answer.status >= 500
            elif pick < 0.8:
                case = local.choice(hostile)
                problem, answer = run.run_client(port, case, counter)
                bad5xx = answer.status is not None and answer.status >= 500
            else:
                fault = local.choice(faults)
                route = local.choice(routes)
                case = {'fault': fault, 'route': route, 'stream': not route.get('no_stream') and local.random() < 0.5}
                problem, answer = run.run_fault(port, case, counter)
                bad5xx = False  # upstream faults may legitimately answer 5xx
            with lock:
                busy[0] -= 1
                counts['requests'] += 1
                counts['5xx'] += int(bad5xx)
                if bad5xx:
                    key = f'{answer.status}'
                    statuses_5xx[key] = statuses_5xx.get(key, 0) + 1
                counts['hangs'] += int(answer.error == 'timeout')
            time.sleep(local.uniform(0.02, 0.2))  # a bounded rate: ~8 workers x ~10 requests a second at most

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.concurrency)]
    for w in workers:
        w.start()
    started = time.monotonic()
    settled = []  # (s, RSS MB, GC heap MB) at the end of each pause
    next_settle = started + args.settle_every * 60
    while time.monotonic() < deadline:
        samples.append((time.monotonic() - started, rss_mb(pid)))
        gc_samples.append(gc_heap_mb(pid))
        if time.monotonic() >= next_settle:
            running.clear()
            drained = time.monotonic() + 60
            while busy[0] > 0 and time.monotonic() < drained:
                time.sleep(0.2)
            time.sleep(args.settle)
            settled.append((time.monotonic() - started, rss_mb(pid), gc_heap_mb(pid)))
            running.set()
            next_settle = time.monotonic() + args.settle_every * 60
        time.sleep(5)
    stop.set()
    for w in workers:
        w.join(120)
    # Idle long enough for godex's trimmer (a quiet 5 s period) to compact and log what is live: a leak stays there.
    time.sleep(args.settle)
    settled.append((time.monotonic() - started, rss_mb(pid), gc_heap_mb(pid)))

    def slope_after_first_fifth(points):
        """MB per hour of a least-squares line through (s, MB) points after the first fifth of the run."""
        tail = [p for p in points if p[0] >= points[-1][0] / 5] if points else []
        if len(tail) < 2:
            return float('nan')
        mean_t = sum(t for t, _ in tail) / len(tail)
        mean_r = sum(r for _, r in tail) / len(tail)
        return 3600 * sum((t - mean_t) * (r - mean_r) for t, r in tail) / max(1e-9, sum((t - mean_t) ** 2 for t, _ in tail))

    raw_slope = slope_after_first_fifth(samples)
    settled_slope = slope_after_first_fifth([(t, r) for t, r, _ in settled])
    native_slope = slope_after_first_fifth([(t, r - g) for t, r, g in settled])
    rss = [r for _, r in samples]
    print(f'soak: {args.minutes} min, {counts["requests"]} requests ({counts["5xx"]} godex 5xx to client input, {counts["hangs"]} hangs)')
    if statuses_5xx:
        print('soak: 5xx by status: ' + ', '.join(f'{status} x{n}' for status, n in sorted(statuses_5xx.items())))
    print(f'rss under load: start {rss[0]:.0f} MB, min {min(rss):.0f}, max {max(rss):.0f}, end {rss[-1]:.0f} MB; '
          f'raw slope after the first fifth {raw_slope:+.1f} MB/hour (not judged: the GC heap of the moment)')
    step = max(1, len(samples) // 24)
    print('rss samples (s, MB): ' + ' '.join(f'{t:.0f}:{r:.0f}' for t, r in samples[::step]))
    print('of which GC heap (MB): ' + ' '.join(f'{t:.0f}:{g:.0f}' for (t, _), g in list(zip(samples, gc_samples))[::step]))
    print(f'settled ({args.settle} s without load; s: rss/GC heap MB): ' + ' '.join(f'{t:.0f}:{r:.0f}/{g:.0f}' for t, r, g in settled))
    print(f'settled slope after the first fifth {settled_slope:+.1f} MB/hour (bound {args.max_slope} MB/hour); '
          f'of which native (rss - GC heap) {native_slope:+.1f} MB/hour')
    if settled_slope != settled_slope:  # NaN: fewer than two settled samples after the first fifth
        print(f'soak: too short to judge; run at least 3 x --settle-every ({args.settle_every} min)')
        return False
    return settled_slope <= args.max_slope and counts['hangs'] == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('mode', choices=['burst', 'soak'])
    parser.add_argument('--binary', default=os.path.join(run.ROOT, 'artifacts/publish/Godex.Cli/release/godex'))
    parser.add_argument('--requests', type=int, default=200)
    parser.add_argument('--size', type=int, default=19_000_000)
    parser.add_argument('--concurrency', type=int, default=4)
    parser.add_argument('--idle', type=int, default=60)
    parser.add_argument('--max-idle-rss', type=float, default=150)
    parser.add_argument('--max-peak-rss', type=float, default=1000)
    parser.add_argument('--minutes', type=float, default=30)
    parser.add_argument('--max-slope', type=float, default=20, help='MB per hour, of the settled samples')
    parser.add_argument('--settle-every', type=float, default=5, help='minutes of load between settled samples')
    parser.add_argument('--settle', type=float, default=15, help='seconds without load before a settled sample')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()

    # Production limits (20 MiB bodies, 80 MiB in flight), the short upstream timeouts of the corpus (soak).
    config = run.CONFIG.replace('max_body_bytes: 2MB', 'max_body_bytes: 20MB').replace('max_inflight_body_bytes: 64MB', 'max_inflight_body_bytes: 80MB')
    if args.mode == 'burst':
        # The burst measures memory, not timeouts: on a busy machine the scripted upstream can take longer than the
        # corpus's 3 s to read 19 MB, and a 504 would end a request early.
        config = config.replace('connect_timeout: 3s', 'connect_timeout: 60s').replace('total_timeout: 10s', 'total_timeout: 120s')
    work, upstream, godex, port, log_path = run.start(args.binary, config=config)
    try:
        if not run.wait_health(port, godex):
            print('memory: godex did not start\n' + open(log_path).read()[-2000:])
            print('0 passed, 1 failed')
            return 1
        time.sleep(2)
        ok = burst(args, port, godex.pid) if args.mode == 'burst' else soak(args, port, godex.pid)
        # What the GC says about itself (startup) and around each idle trim: tells live heap, fragmentation and
        # memory outside the GC heap apart when RSS stays high.
        with open(log_path, errors='replace') as log:
            lines = [line.rstrip() for line in log if 'gc: ' in line or 'memory trimmed' in line]
        print('\n'.join(['godex log:'] + lines[:3] + (['...'] if len(lines) > 6 else []) + lines[max(3, len(lines) - 3):]))
        print(f'{int(ok)} passed, {int(not ok)} failed')
        return 0 if ok else 1
    finally:
        godex.terminate()
        upstream.terminate()
        for proc in (godex, upstream):
            try:
                proc.wait(10)
            except Exception:
                proc.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
