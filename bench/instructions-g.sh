#!/usr/bin/env bash
# Instructions per paced stream (callgrind's Ir, user space) of godex or of the pass-through floor, bench (g)'s
# workload slowed down for valgrind: the built-in simulator as the upstream ([sim:slow=PACE] between tokens, 16-19
# events a stream), STREAMS workers of ROUNDS streams each after a warm-up round, counters zeroed in between. The A/B
# of a change to the streaming path that a shared machine's noise cannot move, and the floor's figure beside it.
# Loopback only, bounded in time; the processes started here are stopped by PID.
#   bench/instructions-g.sh godex|floor [BINARY] [NAME=VALUE]...   (BINARY: godex, default the published one)
#   STREAMS (20), ROUNDS (2), PACE (200 ms) in the environment; KEEP_CALLGRIND=FILE keeps the dump (and FILE.requests,
#   the streams measured) for bench/lib/callgrind-diff.py. CALLGRIND_ARGS="--toggle-collect=*Name*" counts only what
#   runs inside the named functions.
# The idle part of the window (timers, the ledger's batches) is in the count: at 20 x 2 streams over ~5 s it is ~10 %
# of godex's figure, so compare builds at the same STREAMS, ROUNDS and PACE.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh"
TARGET=${1:-godex}; shift || true
[[ $TARGET == godex || $TARGET == floor ]] || { echo "usage: bench/instructions-g.sh godex|floor [BINARY] [NAME=VALUE]..." >&2; exit 2; }
BIN=$(godex_binary "${1:-}") || exit 1; shift || true
STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-2} PACE=${PACE:-200}
FLOOR=$ROOT/artifacts/bench/floorproxy/floorproxy CLIENT=$ROOT/artifacts/bench/streamclient/streamclient
for tool in "$CLIENT" "$([[ $TARGET == floor ]] && echo "$FLOOR")"; do
  [[ -z $tool || -x $tool ]] || { echo "no $tool (bench/run.sh builds the bench tools)" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "needs valgrind (bench/instructions.sh installs it)" >&2; exit 1; }
RUN=$(mktemp -d); PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$RUN"; }
trap cleanup EXIT
mkdir -p "$RUN/bin"
# A copy whose debug link names the symbols of its .dbg without the DWARF, as bench/instructions.sh does.
UNDER=$BIN NAME=godex; [[ $TARGET == floor ]] && UNDER=$FLOOR NAME=floorproxy
cp "$UNDER" "$RUN/bin/$NAME"
if [[ -f ${UNDER%/*}/$NAME.dbg ]]; then
  objcopy --strip-debug "${UNDER%/*}/$NAME.dbg" "$RUN/bin/$NAME.dbg"
  objcopy --remove-section=.gnu_debuglink --add-gnu-debuglink="$RUN/bin/$NAME.dbg" "$RUN/bin/$NAME"
fi
PROXY_PREFIX=(taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$RUN/callgrind.out" --dump-line=no --demangle=no ${CALLGRIND_ARGS:-})
start_paced_proxy "$TARGET" "$BIN" "$RUN/bin/$NAME" "$@"
VPID=$PPID_
paced_streams 1 >/dev/null
sleep 1
callgrind_control -z "$VPID" >/dev/null 2>&1
OUT=$(paced_streams "$ROUNDS")
callgrind_control -d "$VPID" >/dev/null 2>&1
DUMP=$(ls "$RUN"/callgrind.out.* 2>/dev/null | head -1)
MEASURED=$((STREAMS * ROUNDS))
[[ -n $DUMP && $OUT == *'"passed":true'* ]] || { echo "no measurement (client: ${OUT:-none}; proxy: $(tail -2 "$RUN/proxy.log"))" >&2; exit 1; }
[[ -n ${KEEP_CALLGRIND:-} ]] && cp "$DUMP" "$KEEP_CALLGRIND" && echo "$MEASURED" >"$KEEP_CALLGRIND.requests"
IR=$(awk '/^(summary|totals):/ {print $2; exit}' "$DUMP")
python3 -c "import sys; print(f'(g) {sys.argv[1]} {sys.argv[2]}{sys.argv[3]}: {sys.argv[4]} paced streams, {int(sys.argv[5]) / int(sys.argv[4]) / 1000:.1f} k instructions per stream')" \
  "$TARGET" "$([[ $TARGET == floor ]] && echo "$FLOOR" || echo "$BIN")" "${*:+ $*}" "$MEASURED" "$IR"
