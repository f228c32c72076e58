# Sourced by bench/profile.sh, bench/ab.sh, bench/instructions.sh (and bench/runtime-generic-types.sh, for godex_binary, port and LOAD_CPU; bench/instructions-g.sh and bench/allocations-g.sh, for (g)'s workload below): the canned nginx upstream on the load CPUs and one godex pinned to CPU 0
# in front of it, loopback only. Needs HERE (bench/), ROOT, RUN (a temp dir) and PIDS (the caller stops them on exit).
#   start_godex_under_load BINARY [NAME=VALUE]...   sets GP (godex's port) and GPID; the assignments go to godex alone
#   start_floor_under_load floor|translate-floor    the same for bench/run.sh's .NET floors (artifacts/bench/floorproxy)
#   scenario_request a|b|c|d|e|f                   sets BODY and URL for the scenario (bench/run.sh's letters)
#   start_paced_proxy, paced_streams               bench (g)'s workload: the built-in simulator, a proxy, paced streams
# godex_binary [BINARY]: the binary to measure (the argument, else the published one), or a message and status 1.
godex_binary() {
  local bin=${1:-$ROOT/artifacts/publish/Godex.Cli/release/godex}
  [[ -x $bin ]] || { echo "no godex binary at $bin (scripts/publish.sh builds it)" >&2; return 1; }
  echo "$bin"
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
LOAD_CPU="1-$(( $(nproc) - 1 ))"

# The canned upstream on the load CPUs: sets SSE_PORT, and UP_PORT, the port the scenario's proxy asks.
start_upstream_under_load() {
  # bench/run.sh installs these; a probe without them printed a line of empty figures.
  local tool; for tool in wrk nginx taskset; do
    command -v "$tool" >/dev/null 2>&1 || [[ $tool == nginx && -x /usr/sbin/nginx ]] || { echo "needs $tool (bench/run.sh installs it)" >&2; exit 1; }
  done
  local json
  json=$(port) SSE_PORT=$(port) GP=$(port)
  # (a) and (f) are non-streamed short answers: godex asks Anthropic for JSON there (the JSON port), a stream elsewhere.
  UP_PORT=$SSE_PORT; [[ ${SCENARIO:-} == a || ${SCENARIO:-} == f ]] && UP_PORT=$json
  python3 "$HERE/lib/nginx-conf.py" "$HERE/fixtures" "$RUN" "$json" "$SSE_PORT" >"$RUN/nginx.conf"
  python3 "$HERE/lib/gen-large.py" "$RUN"
  taskset -c "$LOAD_CPU" "$(command -v nginx || echo /usr/sbin/nginx)" -p "$RUN" -c "$RUN/nginx.conf" >"$RUN/nginx.out" 2>&1 &
  PIDS+=($!)
}

wait_for_health() {
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$GP/health" >/dev/null 2>&1 && break; sleep 0.05; done
}

start_godex_under_load() {
  local bin=$1; shift
  start_upstream_under_load
  echo '{"auth_mode":"api_key","OPENAI_API_KEY":"x"}' >"$RUN/auth.json"; mkdir -p "$RUN/home"
  env "$@" HOME="$RUN/home" ANTHROPIC_API_KEY=x taskset -c 0 "$bin" proxy --listen "127.0.0.1:$GP" --simulator off \
    --anthropic-base-url "http://127.0.0.1:$UP_PORT" --base-url "http://127.0.0.1:$SSE_PORT/backend-api/codex" --auth-path "$RUN/auth.json" >"$RUN/godex.log" 2>&1 &
  GPID=$!; PIDS+=("$GPID")
  wait_for_health
}

# bench/run.sh's floors, started as it starts them: the pass-through floor forwards the client's request to the
# upstream of the same dialect, the translate floor (chat only: (a), (b)) turns it into an Anthropic request.
start_floor_under_load() {
  local kind=$1 floor=$ROOT/artifacts/bench/floorproxy/floorproxy extra=()
  [[ -x $floor ]] || { echo "no floor at $floor (dotnet publish bench/FloorProxy -c Release -r linux-x64 -o artifacts/bench/floorproxy)" >&2; exit 1; }
  [[ $kind == translate-floor ]] && extra=(--translate)
  start_upstream_under_load
  taskset -c 0 "$floor" --listen "127.0.0.1:$GP" --upstream "http://127.0.0.1:$UP_PORT" "${extra[@]}" >"$RUN/floor.log" 2>&1 &
  GPID=$!; PIDS+=("$GPID")
  wait_for_health
}

scenario_request() {
  local path=/v1/chat/completions
  case "$1" in
    a) BODY="$HERE/fixtures/chat-anthropic.json" ;;
    b) BODY="$HERE/fixtures/chat-anthropic-stream.json" ;;
    c) BODY="$HERE/fixtures/responses-request-stream.json"; path=/v1/responses ;;
    d) BODY="$HERE/fixtures/anthropic-request-stream.json"; path=/v1/messages ;;
    e) BODY="$HERE/fixtures/chat-codex-stream.json" ;;
    f) BODY="$RUN/chat-large.json" ;;
    *) echo "scenario a, b, c, d, e or f" >&2; exit 2 ;;
  esac
  URL="http://127.0.0.1:$GP$path"
}

# bench (g)'s workload, for the scripts that watch one proxy under it (bench/instructions-g.sh, bench/allocations-g.sh).
# start_paced_proxy godex|floor GODEX EXECUTABLE [NAME=VALUE]...: the built-in simulator (GODEX simulate) on the load
# CPUs and EXECUTABLE (a godex or the floor) in front of it, run by the command in the array PROXY_PREFIX (taskset -c 0,
# with valgrind for instance); the assignments go to godex alone. Sets PP (the proxy's port), PPID_ (its pid) and PATH_
# (the door the streams take), writes $RUN/body.json (a story paced at PACE ms a token) and waits for /health.
start_paced_proxy() {
  local target=$1 godex=$2 executable=$3 sim_port
  shift 3
  sim_port=$(port) PP=$(port)
  mkdir -p "$RUN/home" "$RUN/sim-home"
  HOME="$RUN/sim-home" taskset -c "$LOAD_CPU" "$godex" simulate --listen "127.0.0.1:$sim_port" >"$RUN/sim.log" 2>&1 &
  PIDS+=($!)
  echo '{}' >"$RUN/auth.json"
  if [[ $target == floor ]]; then
    "${PROXY_PREFIX[@]}" "$executable" --listen "127.0.0.1:$PP" --upstream "http://127.0.0.1:$sim_port" >"$RUN/proxy.log" 2>&1 &
    PATH_=/v1/messages
  else
    env "$@" HOME="$RUN/home" ANTHROPIC_API_KEY=x "${PROXY_PREFIX[@]}" "$executable" proxy --listen "127.0.0.1:$PP" --simulator off \
      --anthropic-base-url "http://127.0.0.1:$sim_port" --base-url "http://127.0.0.1:$sim_port/backend-api/codex" --auth-path "$RUN/auth.json" >"$RUN/proxy.log" 2>&1 &
    PATH_=/v1/chat/completions
  fi
  PPID_=$!; PIDS+=("$PPID_")
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PP/health" && break; sleep 0.1; done
  printf '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"[sim:slow=%s] Tell me a story"}]}' "$PACE" >"$RUN/body.json"
}

# paced_streams ROUNDS: one run of the stream client (STREAMS workers, ROUNDS streams each) through the proxy of
# start_paced_proxy; prints its JSON line.
paced_streams() {
  taskset -c "$LOAD_CPU" timeout 200 "$ROOT/artifacts/bench/streamclient/streamclient" --url "http://127.0.0.1:$PP$PATH_" --body "$RUN/body.json" \
    --streams "$STREAMS" --rounds "$1" --pace-ms "$PACE" --timeout-s 180 --header "x-api-key: x" --header "anthropic-version: 2023-06-01" | tail -1
}
