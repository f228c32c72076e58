#!/usr/bin/env bash
# Where godex spends its CPU under load: the canned nginx upstream, godex pinned to CPU 0, wrk (c=64) on the other
# CPUs, and `perf record -g` on the godex process for a few seconds; prints the top of `perf report` (symbols from
# the publish's godex.dbg, loaded through a private build-id cache). Loopback only, bounded in time.
#   bench/profile.sh [a|b|c|d|e|f] [SECONDS]      (default: a 8; GODEX=path profiles another published binary,
#                                                 its godex.dbg beside it; KEEP_PERF=file keeps perf.data)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SCENARIO=${1:-a} SECONDS_=${2:-8}
GODEX=${GODEX:-$ROOT/artifacts/publish/Godex.Cli/release/godex}
command -v perf >/dev/null 2>&1 || { echo "perf is not installed (linux-perf)" >&2; exit 1; }
[[ -x $GODEX ]] || "$ROOT/scripts/publish.sh" >&2 || exit 1
RUN=$(mktemp -d)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$RUN"; }
trap cleanup EXIT
source "$HERE/lib/godex-under-load.sh"
start_godex_under_load "$GODEX"
scenario_request "$SCENARIO"
timeout 30 taskset -c "$LOAD_CPU" wrk -t2 -c64 -d3s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" >/dev/null # warm-up
timeout $((SECONDS_ + 30)) taskset -c "$LOAD_CPU" wrk -t2 -c64 -d"$((SECONDS_ + 2))s" -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | grep BENCH &
WRK=$!
sleep 1
export PERF_BUILDID_DIR="$RUN/buildid"
perf buildid-cache -a "$(dirname "$GODEX")/godex.dbg" 2>/dev/null
timeout $((SECONDS_ + 20)) perf record -F 999 -g -p "$GPID" -o "$RUN/perf.data" -- sleep "$SECONDS_" 2>&1 | grep -v '^\[' >&2
[[ -n ${KEEP_PERF:-} ]] && cp "$RUN/perf.data" "$KEEP_PERF"
wait "$WRK"
echo "== godex, scenario ($SCENARIO), self time by symbol =="
perf report -i "$RUN/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/ +- +- *$//' | head -40
echo "== buckets =="
perf report -i "$RUN/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | python3 "$HERE/lib/perf-buckets.py"
echo "== by shared object =="
perf report -i "$RUN/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
