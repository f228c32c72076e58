#!/usr/bin/env bash
# The PostgreSQL usage ledger's write rate: a throwaway PostgreSQL server (scripts/pg-temp.sh, fsync on, 127.0.0.1)
# and BenchmarkDotNet's PostgresLedgerBenchmarks against it (in process: no generated project to build); prints the
# time per row and rows per second.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE")
run=$(mktemp -d)
trap '"$ROOT/scripts/pg-temp.sh" stop "$run/pg"; rm -rf "$run"' EXIT
url=$("$ROOT/scripts/pg-temp.sh" start "$run/pg")
GODEX_BENCH_POSTGRES=$url dotnet run -c Release --project "$HERE/Godex.Benchmarks" -- --filter '*PostgresLedger*' --job short --inProcess \
  --artifacts "$run/bdn" >"$run/out.txt" 2>&1 || true
cp "$run/out.txt" "${GODEX_BENCH_LOG:-/dev/null}"
grep -E "^\| |Exception|error" "$run/out.txt" || true
python3 - "$run/out.txt" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"\|\s*(AppendRow\w+)\s*\|\s*([\d.,]+) (ns|us|μs|ms)", line)
    if m:
        value = float(m.group(2).replace(",", "")) * {"ns": 1e-9, "us": 1e-6, "μs": 1e-6, "ms": 1e-3}[m.group(3)]
        print(f"{m.group(1)}: {value * 1e6:.2f} µs a row = {1 / value:,.0f} rows/s")
PY
