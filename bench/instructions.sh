#!/usr/bin/env bash
# Instructions godex executes per request (callgrind's Ir, user space), for an A/B on a machine whose neighbours make
# CPU time useless: the count of one build moves by a few per cent between runs (GC and the ledger's batches fall
# differently), CPU time by tens. The canned nginx upstream, godex under valgrind, a warm-up, counters zeroed, wrk
# (c=4) for 10 s, counters dumped. Loopback only, bounded in time; the processes started here are stopped by PID.
#   bench/instructions.sh a|b|c|d|e|f [BINARY] [NAME=VALUE]...     (BINARY defaults to the published godex)
#   KEEP_CALLGRIND=FILE keeps the dump (and FILE.requests); bench/lib/callgrind-diff.py compares two by function.
#   KEEP_STARTUP=FILE also keeps what godex executed from its start to its first /health answer (FILE.requests says 1).
#   CALLGRIND_ARGS="--cache-sim=yes --branch-sim=yes" adds simulated cache misses and branch mispredictions per request
#   (equal instructions can still cost more cycles: code spread over more cache lines, more data touched).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh"
SCENARIO=${1:-a}; shift || true
BIN=$(godex_binary "${1:-}") || exit 1; shift || true
if ! command -v valgrind >/dev/null || ! command -v wrk >/dev/null; then
  SUDO=$([[ $(id -u) -eq 0 ]] && echo "" || echo sudo)
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind wrk nginx >&2 || exit 1
fi
RUN=$(mktemp -d); PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$RUN"; }
trap cleanup EXIT
json=$(port) sse=$(port) GP=$(port)
up=$sse; [[ $SCENARIO == a || $SCENARIO == f ]] && up=$json # as bench/run.sh: a whole JSON answer for (a) and (f)
python3 "$HERE/lib/nginx-conf.py" "$HERE/fixtures" "$RUN" "$json" "$sse" >"$RUN/nginx.conf"
python3 "$HERE/lib/gen-large.py" "$RUN"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$RUN" -c "$RUN/nginx.conf" >"$RUN/nginx.out" 2>&1 &
PIDS+=($!)
echo '{"auth_mode":"api_key","OPENAI_API_KEY":"x"}' >"$RUN/auth.json"; mkdir -p "$RUN/home" "$RUN/bin"
# A copy whose debug link names the symbols of its godex.dbg without the DWARF (valgrind gives up on the publish's
# compressed, DWARF 5 sections), so that callgrind knows where each function starts and names it as nm does
# (--demangle=no); without it, functions are told apart by address (bench/lib/callgrind-diff.py names them from nm)
# and small ones are counted in their callers.
cp "$BIN" "$RUN/bin/godex"
if [[ -f ${BIN%/*}/godex.dbg ]]; then
  objcopy --strip-debug "${BIN%/*}/godex.dbg" "$RUN/bin/godex.dbg"
  objcopy --remove-section=.gnu_debuglink --add-gnu-debuglink="$RUN/bin/godex.dbg" "$RUN/bin/godex"
fi
env "$@" HOME="$RUN/home" ANTHROPIC_API_KEY=x valgrind --tool=callgrind --callgrind-out-file="$RUN/callgrind.out" --dump-line=no --demangle=no ${CALLGRIND_ARGS:-} \
  "$RUN/bin/godex" proxy --listen "127.0.0.1:$GP" --simulator off --anthropic-base-url "http://127.0.0.1:$up" \
  --base-url "http://127.0.0.1:$sse/backend-api/codex" --auth-path "$RUN/auth.json" >"$RUN/godex.log" 2>&1 &
VPID=$!; PIDS+=("$VPID")
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$GP/health" >/dev/null 2>&1 && break; sleep 0.1; done
if [[ -n ${KEEP_STARTUP:-} ]]; then
  callgrind_control -d "$VPID" >/dev/null 2>&1
  STARTUP=$(ls "$RUN"/callgrind.out.* 2>/dev/null | head -1)
  [[ -n $STARTUP ]] && mv "$STARTUP" "$KEEP_STARTUP" && echo 1 >"$KEEP_STARTUP.requests"
fi
scenario_request "$SCENARIO"
requests() { timeout 60 wrk -t1 -c4 -d"$1"s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | grep '^BENCH ' | python3 -c 'import json,sys; print(json.loads(sys.stdin.read()[6:])["requests"])'; }
requests 8 >/dev/null
callgrind_control -z "$VPID" >/dev/null 2>&1
REQUESTS=$(requests 10)
callgrind_control -d "$VPID" >/dev/null 2>&1
DUMP=$(ls "$RUN"/callgrind.out.* 2>/dev/null | head -1)
[[ -n $DUMP && ${REQUESTS:-0} -gt 0 ]] || { echo "no measurement (godex log: $(tail -3 "$RUN/godex.log"))" >&2; exit 1; }
[[ -n ${KEEP_CALLGRIND:-} ]] && cp "$DUMP" "$KEEP_CALLGRIND" && echo "$REQUESTS" >"$KEEP_CALLGRIND.requests"
IR=$(awk '/^(summary|totals):/ {print $2; exit}' "$DUMP")
python3 -c "import sys; print(f'({sys.argv[1]}) {sys.argv[2]}{sys.argv[3]}: {int(sys.argv[4])} requests, {int(sys.argv[5]) / int(sys.argv[4]) / 1000:.1f} k instructions per request')" \
  "$SCENARIO" "$BIN" "${*:+ $*}" "$REQUESTS" "$IR"
if [[ -n ${CALLGRIND_ARGS:-} ]]; then
  awk -v n="$REQUESTS" '/^events:/ {for (i = 2; i <= NF; i++) name[i] = $i}
    /^(summary|totals):/ {for (i = 2; i <= NF; i++) printf "%s %.1f%s", name[i], $i / n, (i < NF ? ", " : " per request\n"); exit}' "$DUMP"
fi
