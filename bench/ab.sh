#!/usr/bin/env bash
# A quick A/B probe for one godex change: the canned nginx upstream on the load CPU, godex pinned to CPU 0, wrk c=64
# for 5 s (after a 2 s warm-up) and c=1 for 3 s; prints one line. Loopback only, every load loop bounded in time.
# Environment assignments after the scenario go to godex alone (runtime knobs, GODEX_* settings), so two binaries or
# two settings can be compared one after the other. Ratios against the floors come from bench/run.sh, not from here.
#   bench/ab.sh a|b|c|d|e|f [BINARY] [NAME=VALUE]...        e.g. bench/ab.sh c "" GODEX_PROXY_DATABASE=off
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SCENARIO=${1:-a}; shift || true
BIN=${1:-}; shift || true
BIN=${BIN:-$ROOT/artifacts/publish/Godex.Cli/release/godex}
[[ -x $BIN ]] || { echo "no godex binary at $BIN (scripts/publish.sh builds it)" >&2; exit 1; }
RUN=$(mktemp -d); PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; sleep 0.3; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$RUN"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
LOAD_CPU="1-$(( $(nproc) - 1 ))"
JSON=$(port) SSE=$(port) GP=$(port)
python3 "$HERE/lib/nginx-conf.py" "$HERE/fixtures" "$RUN" "$JSON" "$SSE" >"$RUN/nginx.conf"
python3 "$HERE/lib/gen-large.py" "$RUN"
taskset -c "$LOAD_CPU" "$(command -v nginx || echo /usr/sbin/nginx)" -p "$RUN" -c "$RUN/nginx.conf" >"$RUN/nginx.out" 2>&1 &
PIDS+=($!)
echo '{"auth_mode":"api_key","OPENAI_API_KEY":"x"}' >"$RUN/auth.json"; mkdir -p "$RUN/home"
env "$@" HOME="$RUN/home" ANTHROPIC_API_KEY=x taskset -c 0 "$BIN" proxy --listen "127.0.0.1:$GP" --simulator off \
  --anthropic-base-url "http://127.0.0.1:$SSE" --base-url "http://127.0.0.1:$SSE/backend-api/codex" --auth-path "$RUN/auth.json" >"$RUN/godex.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$GP/health" >/dev/null 2>&1 && break; sleep 0.05; done
PATH_=/v1/chat/completions
case "$SCENARIO" in
  a) BODY="$HERE/fixtures/chat-anthropic.json" ;;
  b) BODY="$HERE/fixtures/chat-anthropic-stream.json" ;;
  c) BODY="$HERE/fixtures/responses-request-stream.json"; PATH_=/v1/responses ;;
  d) BODY="$HERE/fixtures/anthropic-request-stream.json"; PATH_=/v1/messages ;;
  e) BODY="$HERE/fixtures/chat-codex-stream.json" ;;
  f) BODY="$RUN/chat-large.json" ;;
  *) echo "scenario a, b, c, d, e or f" >&2; exit 2 ;;
esac
URL="http://127.0.0.1:$GP$PATH_"
summary() { grep BENCH | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()[6:]); print(*(d[k] for k in sys.argv[1:]))' "$@"; }
timeout 20 taskset -c "$LOAD_CPU" wrk -t2 -c64 -d2s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" >/dev/null
THROUGHPUT=$(timeout 20 taskset -c "$LOAD_CPU" wrk -t2 -c64 -d5s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | summary rps status_errors)
LATENCY=$(timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c1 -d3s -s "$HERE/lib/post.lua" "$URL" -- "$BODY" | summary p50_us p90_us p99_us)
read -r RPS ERRORS <<<"$THROUGHPUT"; read -r P50 P90 P99 <<<"$LATENCY"
echo "($SCENARIO) ${*:-as built}: $RPS req/s at c=64 ($ERRORS errors); c=1 p50 $P50 µs, p90 $P90 µs, p99 $P99 µs"
