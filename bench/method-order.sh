#!/usr/bin/env bash
# Regenerates src/Godex.Cli/hot-methods.txt, the order in which the native compiler lays out godex's managed methods
# (IlcOrderFile in Godex.Cli.csproj): the methods that scenarios (a)-(e) execute per request (bench/instructions.sh under
# callgrind), the most executed first, then those only the start runs, so that a request's code shares fewer pages and
# cache sets with code it never runs and a start touches (and keeps resident) fewer pages of the binary. Run it on the
# published binary after a change that moves the request paths or the start; a stale list only costs locality.
# Loopback only, bounded in time (five runs of bench/instructions.sh, ~1 min each).
#   bench/method-order.sh [BINARY]      (BINARY defaults to the published godex; its godex.dbg must lie beside it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh"
BIN=$(godex_binary "${1:-}")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
KEEP_STARTUP="$WORK/start" KEEP_CALLGRIND="$WORK/a" "$HERE/instructions.sh" a "$BIN" >&2
for scenario in b c d e; do
  KEEP_CALLGRIND="$WORK/$scenario" "$HERE/instructions.sh" "$scenario" "$BIN" >&2
done
python3 "$HERE/lib/method-order.py" "$BIN" "$WORK"/{a,b,c,d,e} --then "$WORK/start" >"$ROOT/src/Godex.Cli/hot-methods.txt"
