#!/usr/bin/env python3
"""Start-up A/B: time from spawn to the first answered /health, the CPU the process used by then, and its RSS one
second later, for one or more godex binaries started alternately (a fresh HOME, so a fresh database, every start) the
way bench/run.sh starts its godex. Medians over N starts per binary: on a shared machine compare binaries within one
run, not across runs. Loopback only; every process started here is stopped by its PID.

    bench/startup.py N BINARY[@NAME=VALUE,...] ...      e.g. bench/startup.py 9 old/godex new/godex@GODEX_PROXY_DATABASE=off
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ms(pid):
    """User + system time of every thread so far (schedstat's first field, ns)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        pass
    return total / 1e6


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def start_once(binary, settings, root, auth, closed_port):
    """One start: (ms to the first /health or None, CPU ms by then, RSS MB at +1 s or None)."""
    port = free_port()
    home = tempfile.mkdtemp(prefix="home-", dir=root)
    env = dict(os.environ, HOME=home, ANTHROPIC_API_KEY="x", **settings)
    upstream = f"http://127.0.0.1:{closed_port}"  # /health never calls it
    started = time.monotonic_ns()
    with open(os.path.join(home, "godex.log"), "w") as log:
        process = subprocess.Popen(
            [binary, "proxy", "--listen", f"127.0.0.1:{port}", "--simulator", "off", "--anthropic-base-url", upstream,
             "--base-url", f"{upstream}/backend-api/codex", "--auth-path", auth],
            env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                pass
        ms = cpu = None
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            ms = (time.monotonic_ns() - started) / 1e6
            cpu = cpu_ms(process.pid)
        except OSError as error:
            print(f"{binary}: no /health ({error}); see {home}/godex.log", file=sys.stderr)
        time.sleep(1)
        return ms, cpu, rss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    starts = int(sys.argv[1])
    targets = []
    for argument in sys.argv[2:]:
        binary, _, assignments = argument.partition("@")
        settings = dict(kv.split("=", 1) for kv in assignments.split(",") if kv)
        targets.append((argument, os.path.abspath(binary), settings))
    root = tempfile.mkdtemp(prefix="godex-startup-")
    auth = os.path.join(root, "auth.json")
    with open(auth, "w") as f:
        f.write('{"auth_mode":"api_key","OPENAI_API_KEY":"x"}')
    closed_port = free_port()
    results = {name: ([], [], []) for name, _, _ in targets}
    try:
        for _ in range(starts):
            for name, binary, settings in targets:
                for values, value in zip(results[name], start_once(binary, settings, root, auth, closed_port)):
                    if value is not None:
                        values.append(value)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for name, (ms, cpu, rss) in results.items():
        if not ms or not rss:
            print(f"{name}: did not start")
            continue
        print(f"{name}: first /health median {statistics.median(ms):.0f} ms (min {min(ms):.0f}; "
              f"{' '.join(f'{x:.0f}' for x in ms)}), CPU {statistics.median(cpu):.0f} ms, "
              f"RSS at +1 s median {statistics.median(rss):.1f} MB (min {min(rss):.1f})")


if __name__ == "__main__":
    main()
