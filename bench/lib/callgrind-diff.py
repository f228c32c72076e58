#!/usr/bin/env python3
"""Where two builds' instructions per request differ, by function: two dumps kept by bench/instructions.sh
(KEEP_CALLGRIND=FILE), each with the godex binary it measured (its godex.dbg beside it names the functions).

    bench/lib/callgrind-diff.py BEFORE.out BEFORE_GODEX AFTER.out AFTER_GODEX [REGEX] [ROWS]

EVENT=I1mr (or D1mr, Bcm, ...) compares that event instead of instructions, for dumps taken with the cache or branch
simulation on (CALLGRIND_ARGS="--cache-sim=yes --branch-sim=yes" bench/instructions.sh ...); EVENT=cycles weighs them
all as a rough cycle count (COST_WEIGHTS: an L1 miss 10, a last-level miss 100, a misprediction 15).
Prints the totals, a table by area (godex, JSON, HTTP, Kestrel, GC, ...) and the functions whose self count per
request grew or shrank most (only those matching REGEX when given). Needs nm (binutils)."""
import bisect
import collections
import os
import re
import subprocess
import sys

VALGRIND_LOAD_BASE = 0x108000
# EVENT=cycles: what each simulated event roughly costs in cycles on a current x86 core (instructions count 1 each).
COST_WEIGHTS = {"Ir": 1, "I1mr": 10, "D1mr": 10, "D1mw": 10, "ILmr": 100, "DLmr": 100, "DLmw": 100, "Bcm": 15, "Bim": 15}  # where valgrind maps a position-independent executable it cannot name


def symbols(binary):
    out = subprocess.run(["nm", "--defined-only", binary + ".dbg"], capture_output=True, text=True, check=True).stdout
    pairs = sorted((int(p[0], 16), p[2]) for p in (line.split() for line in out.splitlines()) if len(p) == 3 and p[1] in "tT")
    return [a for a, _ in pairs], [n for _, n in pairs]


def self_per_request(dump, binary):
    starts, names = symbols(binary)
    requests = int(open(dump + ".requests").read())
    objects, functions, cost = {}, {}, collections.Counter()
    obj = fn = None
    skip_next = False
    event = os.environ.get("EVENT", "Ir")
    weights = [1]
    for line in open(dump):
        if line.startswith("events:"):
            events = line.split()[1:]
            weights = [COST_WEIGHTS.get(e, 0) for e in events] if event == "cycles" else [int(e == event) for e in events]
        elif line.startswith(("ob=", "cob=", "fn=", "cfn=")):
            key, _, rest = line.strip().partition("=")
            m = re.match(r"\((\d+)\)\s*(.*)", rest)
            table = objects if key in ("ob", "cob") else functions
            if m.group(2):
                table[m.group(1)] = m.group(2)
            if key == "ob":
                obj = objects.get(m.group(1), "?")
            elif key == "fn":
                fn = functions.get(m.group(1))
        elif line.startswith("calls="):
            skip_next = True  # the next cost line is the callee's inclusive cost, not this function's own
        elif line[:1] in "0123456789+-*":
            parts = line.split()
            if skip_next:
                skip_next = False
            elif len(parts) >= 2:
                cost[(obj, fn)] += sum(w * int(v) for w, v in zip(weights, parts[1:]))
    named = collections.Counter()
    for (obj, fn), value in cost.items():
        name = fn or "?"
        if obj and (obj == "???" or obj.endswith("/godex")) and name.startswith("0x"):
            address = int(name.split("'")[0], 16) - (VALGRIND_LOAD_BASE if obj == "???" else 0)
            i = bisect.bisect_right(starts, address) - 1
            name = names[i] if i >= 0 else name
        elif obj and obj not in ("???", "?") and not obj.endswith("/godex"):
            name = f"{name} [{obj.rsplit('/', 1)[-1]}]"
        named[name] += value / requests
    return named


AREAS = [("godex", r"^Godex_"), ("System.Text.Json", r"System_Text_Json"), ("HttpClient", r"System_Net_Http"),
         ("Kestrel", r"AspNetCore"), ("GC + allocation", r"gc_heap|WKS::|^Rhp|GCHeap"), ("SQLite", r"sqlite"),
         ("sockets + pipelines", r"Sockets|Pipelines"), ("CoreLib", r"S_P_CoreLib|^String__"), ("libc", r"\[libc")]


def area(name):
    return next((label for label, pattern in AREAS if re.search(pattern, name)), "other")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    before, after = self_per_request(sys.argv[1], sys.argv[2]), self_per_request(sys.argv[3], sys.argv[4])
    pattern = sys.argv[5] if len(sys.argv) > 5 else "."
    rows = int(sys.argv[6]) if len(sys.argv) > 6 else 30
    event = os.environ.get("EVENT", "Ir")
    print(f"{event} per request: {sum(before.values()) / 1000:.1f} k before, {sum(after.values()) / 1000:.1f} k after")
    by_before, by_after = collections.Counter(), collections.Counter()
    for name, value in before.items():
        by_before[area(name)] += value
    for name, value in after.items():
        by_after[area(name)] += value
    print(f"| area | before (k) | after (k) | change (k) |\n|---|---:|---:|---:|")
    for label in sorted(set(by_before) | set(by_after), key=lambda k: by_after[k] - by_before[k], reverse=True):
        print(f"| {label} | {by_before[label] / 1000:.1f} | {by_after[label] / 1000:.1f} | {(by_after[label] - by_before[label]) / 1000:+.1f} |")
    change = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after) if re.search(pattern, k)}
    for title, items in (("grew", sorted(change.items(), key=lambda x: -x[1])), ("shrank", sorted(change.items(), key=lambda x: x[1]))):
        print(f"--- {title} ({event} per request: change, before, after, function)")
        for name, delta in items[:rows]:
            print(f"{delta:+8.0f} {before.get(name, 0):8.0f} {after.get(name, 0):8.0f}  {name[:140]}")


if __name__ == "__main__":
    main()
