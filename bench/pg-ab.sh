#!/usr/bin/env bash
# Scenario (a) on SQLite and on PostgreSQL in the same run: bench/ab.sh twice per database, alternating, against a
# throwaway PostgreSQL server (scripts/pg-temp.sh, fsync on, 127.0.0.1) for the PostgreSQL runs. Prints ab.sh's lines
# and the difference of the median c=1 p50s. Loopback only; every load loop is bounded by ab.sh.
#   bench/pg-ab.sh [ROUNDS]    (default 2)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE")
rounds=${1:-2}
run=$(mktemp -d)
trap '"$ROOT/scripts/pg-temp.sh" stop "$run/pg"; rm -rf "$run"' EXIT
url=$("$ROOT/scripts/pg-temp.sh" start "$run/pg")
for i in $(seq 1 "$rounds"); do
  "$HERE/ab.sh" a "" | tee -a "$run/sqlite.txt"
  "$HERE/ab.sh" a "" GODEX_PROXY_DATABASE="$url" | sed "s|$url|postgres://…|" | tee -a "$run/postgres.txt"
done
python3 - "$run/sqlite.txt" "$run/postgres.txt" <<'PY'
import re, statistics, sys
def read(path):
    rows = [re.search(r"([\d.]+) req/s.*p50 (\d+) µs", line) for line in open(path)]
    return [(float(m.group(1)), int(m.group(2))) for m in rows if m]
s, p = read(sys.argv[1]), read(sys.argv[2])
sp50, pp50 = statistics.median(x[1] for x in s), statistics.median(x[1] for x in p)
print(f"(a) c=1 p50 median: SQLite {sp50:.0f} µs, PostgreSQL {pp50:.0f} µs: PostgreSQL adds {pp50 - sp50:+.0f} µs; "
      f"c=64: SQLite {statistics.median(x[0] for x in s):.0f} req/s, PostgreSQL {statistics.median(x[0] for x in p):.0f} req/s")
PY
