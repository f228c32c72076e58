#!/usr/bin/env bash
# A quick A/B probe for one godex change: the canned nginx upstream on the load CPU, godex pinned to CPU 0, wrk c=64
# for 5 s (after a 2 s warm-up) and c=1 for 3 s; prints one line. Loopback only, every load loop bounded in time.
# Environment assignments after the scenario go to godex alone (runtime knobs, GODEX_* settings), so two binaries or
# two settings can be compared one after the other. Ratios against the floors come from bench/run.sh, not from here.
#   bench/ab.sh a|b|c|d|e|f [BINARY] [NAME=VALUE]...        e.g. bench/ab.sh c "" GODEX_PROXY_DATABASE=off
# BINARY "floor" or "translate-floor" measures bench/run.sh's .NET floor the same way instead (translate: (a), (b)):
# pairs of floor and godex, alternating, give a ratio a noisy minute cannot put on one side only (bench/run.sh runs
# every repetition of one target before the next).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh"
SCENARIO=${1:-a}; shift || true
TARGET=${1:-}; shift || true
[[ $TARGET == floor || $TARGET == translate-floor ]] || { TARGET=$(godex_binary "$TARGET") || exit 1; }
RUN=$(mktemp -d); PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.3; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$RUN"; }
trap cleanup EXIT
case $TARGET in
  floor | translate-floor) start_floor_under_load "$TARGET" ;;
  *) start_godex_under_load "$TARGET" "$@" ;;
esac
scenario_request "$SCENARIO"
summary() { grep BENCH | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()[6:]); print(*(d[k] for k in sys.argv[1:]))' "$@"; }
timeout 20 taskset -c "$LOAD_CPU" wrk -t2 -c64 -d2s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" >/dev/null
# godex's own CPU time per request (user + system, from /proc) is the figure that survives a noisy machine: other
# processes slow the wall clock, not the work godex does per request.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$GPID/stat"; }
# Context switches of all godex threads: a thread hop per request shows here before it shows in the CPU time.
switches() { cat /proc/"$GPID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
TICKS_BEFORE=$(cpu_ticks); SWITCHES_BEFORE=$(switches)
THROUGHPUT=$(timeout 20 taskset -c "$LOAD_CPU" wrk -t2 -c64 -d5s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | summary rps status_errors requests)
TICKS_AFTER=$(cpu_ticks); SWITCHES_AFTER=$(switches)
LATENCY=$(timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c1 -d3s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | summary p50_us p90_us p99_us)
read -r RPS ERRORS REQUESTS <<<"$THROUGHPUT"; read -r P50 P90 P99 <<<"$LATENCY"
CPU_US=$(( (TICKS_AFTER - TICKS_BEFORE) * 1000000 / $(getconf CLK_TCK) / (REQUESTS > 0 ? REQUESTS : 1) ))
SWITCHES=$(python3 -c "print(f'{($SWITCHES_AFTER - $SWITCHES_BEFORE) / max($REQUESTS, 1):.2f}')")
WHO=godex; [[ $TARGET == *floor ]] && WHO=$TARGET
echo "($SCENARIO) $WHO ${*:-as built}: $RPS req/s at c=64 ($ERRORS errors), $CPU_US µs of $WHO CPU per request, $SWITCHES context switches per request; c=1 p50 $P50 µs, p90 $P90 µs, p99 $P99 µs"
