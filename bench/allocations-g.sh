#!/usr/bin/env bash
# What godex (or the pass-through floor) allocates per paced stream, by type: bench (g)'s workload (the built-in
# simulator as the upstream, [sim:slow=PACE] between tokens) with a uprobe on each of the Native AOT allocation helpers
# (RhpNewFast, RhpNewArrayFast, RhpNewPtrArrayFast, RhNewString, RhpNewObject, RhpNewFinalizable,
# RhpNewVariableSizeObject), counted over STREAMS workers of ROUNDS streams after a warm-up round. Each hit names the
# type's MethodTable, which the binary's .dbg names (`_ZTV<len><type>`) and whose base and component sizes are read
# from the live process: the table says what a stream allocates and what the GC of a burst of new streams pays for.
# Needs perf with uprobes (root) and nm. Loopback only, bounded in time; the processes started here are stopped by PID.
#   bench/allocations-g.sh godex|floor [BINARY] [NAME=VALUE]...   (BINARY: godex, default the published one)
#   STREAMS (50), ROUNDS (2), PACE (20 ms), ROWS (40) in the environment.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh"
TARGET=${1:-godex}; shift || true
[[ $TARGET == godex || $TARGET == floor ]] || { echo "usage: bench/allocations-g.sh godex|floor [BINARY] [NAME=VALUE]..." >&2; exit 2; }
BIN=$(godex_binary "${1:-}") || exit 1; shift || true
STREAMS=${STREAMS:-50} ROUNDS=${ROUNDS:-2} PACE=${PACE:-20} ROWS=${ROWS:-40}
FLOOR=$ROOT/artifacts/bench/floorproxy/floorproxy CLIENT=$ROOT/artifacts/bench/streamclient/streamclient
UNDER=$BIN NAME=godex; [[ $TARGET == floor ]] && UNDER=$FLOOR NAME=floorproxy
for tool in "$CLIENT" "$UNDER" "$UNDER.dbg"; do
  [[ -e $tool ]] || { echo "no $tool (bench/run.sh builds the bench tools; scripts/publish.sh writes godex.dbg)" >&2; exit 1; }
done
command -v perf >/dev/null && command -v nm >/dev/null || { echo "needs perf (with uprobes) and nm" >&2; exit 1; }
RUN=$(mktemp -d); PIDS=()
GROUP=gxalloc$$
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  perf probe -q -d "$GROUP:*" >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT
mkdir -p "$RUN/bin"
# The probes go on a copy, so that nothing else running the published binary meets them.
cp "$UNDER" "$RUN/bin/$NAME"
nm --defined-only "$UNDER.dbg" >"$RUN/symbols"
for helper in RhpNewFast RhpNewArrayFast RhpNewPtrArrayFast RhNewString RhpNewObject RhpNewFinalizable RhpNewVariableSizeObject; do
  address=$(awk -v s="$helper" '$3 == s { print $1; exit }' "$RUN/symbols")
  [[ -n $address ]] || continue
  perf probe -q -x "$RUN/bin/$NAME" -a "$GROUP:$helper=0x$address mt=%di:u64 n=%si:u64" >/dev/null 2>&1 \
    || { echo "perf probe failed on $helper (uprobes need root and tracefs)" >&2; exit 1; }
done
PROXY_PREFIX=(taskset -c 0)
start_paced_proxy "$TARGET" "$BIN" "$RUN/bin/$NAME" "$@"
paced_streams 1 >/dev/null
sleep 1
timeout 300 perf record -q -e "$GROUP:*" -p "$PPID_" -o "$RUN/perf.data" >/dev/null 2>&1 &
RECORDER=$!
sleep 1
OUT=$(paced_streams "$ROUNDS")
sleep 0.5
kill -INT "$RECORDER"; wait "$RECORDER"
[[ $OUT == *'"passed":true'* ]] || { echo "no measurement (client: ${OUT:-none}; proxy: $(tail -2 "$RUN/proxy.log"))" >&2; exit 1; }
perf script -i "$RUN/perf.data" -F tid,event,trace 2>/dev/null >"$RUN/hits"
# The load base of the binary (a position-independent executable: its first mapping is file offset 0).
BASE=$(awk -v f="$RUN/bin/$NAME" '$6 == f && $3 == "00000000" { print $1; exit }' "/proc/$PPID_/maps" | cut -d- -f1)
[[ -n $BASE ]] || { echo "could not find $NAME's mapping in /proc/$PPID_/maps" >&2; exit 1; }
python3 - "$RUN/hits" "$RUN/symbols" "$PPID_" "$BASE" "$((STREAMS * ROUNDS))" "$ROWS" "$TARGET" <<'EOF'
import bisect, collections, re, struct, sys
hits_path, symbols_path, pid, base, streams, rows, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 16), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
types = {}
for line in open(symbols_path):
    parts = line.split()
    if len(parts) == 3 and parts[2].startswith('_ZTV'):
        m = re.match(r'_ZTV\d+(.*)', parts[2])
        types[int(parts[0], 16)] = m.group(1) if m else parts[2]
counts, sizes = collections.Counter(), collections.Counter()
layout = {}
with open(f'/proc/{pid}/mem', 'rb') as mem:
    def read_layout(mt):
        if mt not in layout:
            mem.seek(mt)
            flags, base_size = struct.unpack('<II', mem.read(8))
            # MethodTable: the low 16 bits of the flags are the component size when the type has one (arrays, strings).
            layout[mt] = (flags & 0xFFFF if flags & 0x80000000 else 0, base_size)
        return layout[mt]
    last = {}  # thread -> the last hit's (helper, type)
    for line in open(hits_path):
        m = re.search(r'^\s*(\d+)\s.*?(\w+): .*mt=(0x[0-9a-f]+|\d+) n=(0x[0-9a-f]+|\d+)', line)
        if not m:
            continue
        tid, helper, mt, n = m.group(1), m.group(2), int(m.group(3), 0), int(m.group(4), 0)
        previous, last[tid] = last.get(tid), (helper, mt)
        # A fast helper that cannot allocate (its allocation context used up, or a finalizable type) jumps on to the slow
        # one (RhpNewObject, RhpNewVariableSizeObject) for the same object: one allocation, two hits.
        if helper in ('RhpNewObject', 'RhpNewVariableSizeObject') and previous is not None and previous[1] == mt and previous[0] != helper:
            continue
        component, base_size = read_layout(mt)
        size = base_size + (n * component if helper in ('RhpNewArrayFast', 'RhpNewPtrArrayFast', 'RhNewString', 'RhpNewVariableSizeObject') else 0)
        name = types.get(mt - base, f'?{mt - base:#x}')
        counts[name] += 1
        sizes[name] += (size + 7) & ~7
total = sum(sizes.values())
print(f'(g) {target}: {streams} paced streams, {sum(counts.values()) / streams:.0f} allocations and {total / streams / 1024:.1f} KB per stream')
print(f'{"KB/stream":>10} {"allocs/stream":>13}  type')
for name, size in sizes.most_common(rows):
    short = name if len(name) <= 170 else name[:60] + '…' + name[-109:]  # a state machine box says what it is at its end
    print(f'{size / streams / 1024:10.2f} {counts[name] / streams:13.1f}  {short}')
EOF
