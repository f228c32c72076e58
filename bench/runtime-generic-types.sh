#!/usr/bin/env bash
# Counts the generic types the native runtime's type loader still builds at run time while godex starts and answers
# its first /health (dependency injection's MakeGenericType over open-generic registrations: ILogger<T>, IOptions<T>,
# ...), and prints the godex/framework frames of each build, so the instantiation can be added to
# src/Godex.Cli/generic-instantiations.rd.xml. Each built type costs ~1.4 M instructions of a start (~0.3 ms).
#
#   bench/runtime-generic-types.sh [--max N] [BINARY]   (default: the published artifacts/publish/Godex.Cli/release/godex)
#
# --max N fails (exit 2) when more than N types are built: test.sh runs it with the count at the rd.xml's last change, so
# a new ILogger<T> or options type (or a framework update) that brings the type loader back into every start is caught
# by name, not by a slower start nobody notices.
#
# Runs godex under gdb (a breakpoint on the type loader's TypeBuilder.TryBuildGenericType/TryBuildArrayType; the
# symbols come from godex.dbg beside the binary), with a fresh HOME and an Anthropic API key pointing nowhere, on a
# free 127.0.0.1 port; stops what it started by PID. Prints "types built at run time: N"; 0 is the goal.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
source "$HERE/lib/godex-under-load.sh" # godex_binary, port
MAX=""
if [[ ${1:-} == --max ]]; then MAX=$2; shift 2; fi
BIN=$(godex_binary "${1:-}") || exit 1
[[ -f ${BIN%/*}/godex.dbg ]] || { echo "no godex.dbg beside $BIN: gdb could not name the frames" >&2; exit 1; }
command -v gdb >/dev/null || { echo "gdb is needed" >&2; exit 1; }
WORK=$(mktemp -d)
GDB_PID=""
cleanup() {
  [[ -n $GDB_PID ]] && kill -0 "$GDB_PID" 2>/dev/null && { pkill -KILL -P "$GDB_PID" 2>/dev/null; kill "$GDB_PID" 2>/dev/null; }
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(port)
cat >"$WORK/commands" <<'EOF'
set pagination off
set print frame-arguments none
handle SIGUSR1 SIGUSR2 SIG34 SIG35 SIG36 nostop noprint pass
break S_P_TypeLoader_Internal_Runtime_TypeLoader_TypeBuilder__TryBuildGenericType
break S_P_TypeLoader_Internal_Runtime_TypeLoader_TypeBuilder__TryBuildArrayType
commands 1-2
bt 40
continue
end
run
EOF
mkdir -p "$WORK/home"
HOME="$WORK/home" ANTHROPIC_API_KEY=x timeout 120 gdb -batch -x "$WORK/commands" --args "$BIN" proxy \
  --listen "127.0.0.1:$PORT" --simulator off --anthropic-base-url http://127.0.0.1:9 >"$WORK/gdb.out" 2>&1 &
GDB_PID=$! # timeout's PID: its child is gdb, whose child is godex; gdb ends godex when it ends
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$GDB_PID" 2>/dev/null || break
  sleep 0.3
done
if ! curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; then
  if grep -qiE 'ptrace: Operation not permitted|Could not trace the inferior' "$WORK/gdb.out"; then
    echo "types built at run time: not counted (this machine does not let gdb trace a process)"; exit 0
  fi
  echo "godex did not answer /health under gdb:" >&2; tail -20 "$WORK/gdb.out" >&2; exit 1
fi
sleep 1
pkill -TERM -P "$GDB_PID" 2>/dev/null
wait "$GDB_PID" 2>/dev/null
GDB_PID=""
# Each build: the frames outside the type loader, reflection and DI's own resolver (the caller that asked).
awk '/^Thread .* hit Breakpoint|^Breakpoint [12],/ { n++; print "--- build " n }
     /^#[0-9]+ / { if ($0 ~ /TypeLoader|Reflection_Runtime|Reflection_Execution|ServiceLookup|ServiceProvider__|ServiceProviderServiceExtensions|ConcurrentDictionary|__GetOrAdd|AsyncMethodBuilderCore/) next
                   name = ($3 == "in") ? $4 : $2; sub(/\(.*/, "", name); if (name != "") print "    " name }' "$WORK/gdb.out" | awk '/^---/ { k = 0; print; next } k++ < 6'
BUILT=$(grep -cE '^Thread .* hit Breakpoint|^Breakpoint [12],' "$WORK/gdb.out")
echo "types built at run time: $BUILT"
if [[ -n $MAX && $BUILT -gt $MAX ]]; then
  echo "more than $MAX: add the instantiations named above to src/Godex.Cli/generic-instantiations.rd.xml" >&2
  exit 2
fi
