#!/usr/bin/env python3
"""Sums `perf report --no-children --sort dso,symbol --stdio` self time into coarse buckets (stdin -> table)."""
import re
import sys

BUCKETS = [
    ("kernel: scheduler / wakeups", r"\[k\] .*(task_switch|schedule|spin_unlock|irqentry|futex|wake|select_task|enqueue|dequeue|update_|native_write_msr|ttwu)"),
    ("kernel: TCP / sockets / syscalls", r"\[k\] "),
    ("GC + allocation", r"gc_heap|Rhp(New|Assign|CheckedAssign|ByRef)|WKS::|memset|GCHeap|alloc"),
    ("SQLite (usage ledger, key store)", r"sqlite3|Sqlite"),
    ("System.Text.Json", r"System_Text_Json"),
    ("SSE parser (System.Net.ServerSentEvents)", r"ServerSentEvents"),
    ("HttpClient (upstream)", r"System_Net_Http|SocketsHttpHandler"),
    ("Kestrel / ASP.NET Core (front door)", r"AspNetCore|Kestrel"),
    ("sockets / pipelines", r"System_Net_Sockets|System_IO_Pipelines"),
    ("godex code", r"Godex_"),
    ("tasks / threads / locks", r"Threading|Monitor|ThreadPool|Tasks|Interlocked"),
    ("strings / text / search", r"String|Ascii|Utf8|Text_|IndexOf|SpanHelpers|Memmove|Number"),
    ("casts / interface dispatch", r"TypeCast|RhpInterfaceDispatch|Cast"),
    ("libcrypto (random ids?)", r"libcrypto"),
    ("libc", r"libc"),
]
totals = {name: 0.0 for name, _ in BUCKETS}
other = 0.0
top_other = []
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+(\S+)\s+(.*)$", line)
    if not m:
        continue
    pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
    text = f"{dso} {sym}"
    for name, pattern in BUCKETS:
        if re.search(pattern, text):
            totals[name] += pct
            break
    else:
        other += pct
        top_other.append((pct, sym[:90]))
print("| bucket | self CPU % |")
print("|---|---:|")
for name, _ in BUCKETS:
    if totals[name] >= 0.05:
        print(f"| {name} | {totals[name]:.1f} |")
print(f"| other | {other:.1f} |")
