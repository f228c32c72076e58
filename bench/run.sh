#!/usr/bin/env bash
# godex benchmark (issue 8): godex side by side with the physical limit (direct to a canned nginx upstream), a
# minimal .NET pass-through floor, a naive DOM-translate floor and the Portkey gateway. Loopback only; every load
# loop is bounded in time and count; every process started here is stopped by its PID on exit.
#
#   bench/run.sh                 full run: pinned (all scenarios) + unpinned (scenario a), 3 reps, 20 s throughput
#   bench/run.sh --smoke         ~5 s: scenario (a), direct + godex, 1 rep; proves the harness runs (CI)
#   bench/run.sh --quick         1 rep, 5 s throughput, 2 s latency
#   options: --reps N --duration S --lat-duration S --scenarios a,b,e,f,g --modes pinned,unpinned
#            --unpinned-scenarios a --no-portkey --build (republish godex) --out DIR --g-tries N (tries a (g) level gets)
#
# Scenarios: (a) chat -> Anthropic, non-stream  (b) the same streamed  (c) /v1/responses -> Codex passthrough
# (d) /v1/messages -> Anthropic passthrough  (e) chat -> Codex backend, streamed  (f) ~100 KB request for (a)
# (g) paced streams: most concurrent streams with every event delivered and no gap over 10x the pace, in most of
#     --g-tries tries (3) at each level; direct, floor and godex take each level in turn.
# (c) and (d) are probed on godex and skipped with a note while the endpoint does not exist.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
REPS=3 DURATION=20 LAT_DURATION=5 WARMUP=3 SCENARIOS="a,b,c,d,e,f,g" MODES="pinned,unpinned" UNPINNED_SCENARIOS="a"
PORTKEY=1 SMOKE=0 BUILD=0 OUT="$HERE/results" TARGETS_FILTER="" PACE_MS=20 G_LEVELS="250 500 750 1000 1500 2000 3000" G_TRIES=3 G_SETTLE_S=11
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1 REPS=1 DURATION=2 LAT_DURATION=1 WARMUP=0 SCENARIOS=a MODES=pinned PORTKEY=0 TARGETS_FILTER="direct godex" ;;
    --quick) REPS=1 DURATION=5 LAT_DURATION=2 WARMUP=2 ;;
    --reps) REPS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --lat-duration) LAT_DURATION=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --modes) MODES=$2; shift ;;
    --unpinned-scenarios) UNPINNED_SCENARIOS=$2; shift ;;
    --no-portkey) PORTKEY=0 ;;
    --build) BUILD=1 ;;
    --out) OUT=$2; shift ;;
    --g-tries) G_TRIES=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------- prerequisites
need=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [[ ${#need[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  log "installing: ${need[*]}"
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2 || die "apt-get failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

GODEX="$ROOT/artifacts/publish/Godex.Cli/release/godex"
FLOOR="$ROOT/artifacts/bench/floorproxy/floorproxy"
STREAMCLIENT="$ROOT/artifacts/bench/streamclient/streamclient"
if [[ $BUILD -eq 1 || ! -x $GODEX ]]; then
  log "publishing godex (Native AOT)"; "$ROOT/scripts/publish.sh" >&2 || die "godex publish failed"
fi
publish_tool() { # project dir, output binary
  local src=$1 bin=$2
  if [[ ! -x $bin || -n $(find "$src" -name '*.cs' -newer "$bin" -o -name '*.csproj' -newer "$bin" | head -1) ]]; then
    log "publishing $(basename "$bin") (Native AOT)"
    dotnet publish "$src" -c Release -r linux-x64 -o "$(dirname "$bin")" >&2 || die "publish of $src failed"
  fi
}
publish_tool "$HERE/FloorProxy" "$FLOOR"
[[ $SCENARIOS == *g* ]] && publish_tool "$HERE/StreamClient" "$STREAMCLIENT"
PORTKEY_MAIN="$HERE/portkey/node_modules/@portkey-ai/gateway/build/start-server.js"
if [[ $PORTKEY -eq 1 ]]; then
  if ! command -v node >/dev/null 2>&1; then
    log "node not found: Portkey rows skipped"; PORTKEY=0
  elif [[ ! -f $PORTKEY_MAIN ]]; then
    log "installing Portkey (npm ci, pinned by bench/portkey/package-lock.json)"
    (cd "$HERE/portkey" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || { log "npm ci failed: Portkey rows skipped"; PORTKEY=0; }
  fi
fi

# ------------------------------------------------------------------------------------------------------ run state
RUN=$(mktemp -d)
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$OUT/results-$STAMP.tsv"
REPORT="$OUT/report-$STAMP.md"
: >"$RESULTS"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NPROC=$(nproc)
if [[ $NPROC -ge 2 ]]; then PROXY_CPU=0 LOAD_CPU="1-$((NPROC - 1))"; else PROXY_CPU=0 LOAD_CPU=0; MODES=unpinned; log "1 CPU: pinned mode skipped"; fi
MODE=pinned
pin() { # cpu-list command... : runs the command pinned in pinned mode, as is otherwise (exec, so $! is its PID)
  local cpus=$1; shift
  if [[ $MODE == pinned ]]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss_mb() { awk -v k="$2:" '$1==k {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null; }
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$MODE" "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"; } # scenario target rep metric value
note() { printf '%s\t%s\t-\t-\tnote\t%s\n' "$MODE" "$1" "$2" >>"$RESULTS"; log "$1: $2"; }

assert_loopback() { # pid name: abort the run if the process listens anywhere but 127.0.0.1
  local listens
  listens=$(ss -ltnpH 2>/dev/null | grep "pid=$1," | awk '{print $4}')
  [[ -n $listens ]] || return 0
  if grep -vqE '^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):' <<<"$listens"; then
    log "ABORT: $2 (pid $1) listens beyond loopback: $(tr '\n' ' ' <<<"$listens")"
    exit 1
  fi
}

# --------------------------------------------------------------------------------------------------------- upstreams
JSON_PORT=$(free_port); SSE_PORT=$(free_port)
echo '{"auth_mode":"api_key","OPENAI_API_KEY":"x"}' >"$RUN/auth.json"
mkdir -p "$RUN/home"
python3 "$HERE/lib/gen-large.py" "$RUN"
NGINX_PID=""
start_nginx() {
  python3 "$HERE/lib/nginx-conf.py" "$HERE/fixtures" "$RUN" "$JSON_PORT" "$SSE_PORT" >"$RUN/nginx.conf" || die "nginx config"
  (pin "$LOAD_CPU" "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" >"$RUN/nginx.out" 2>&1) &
  NGINX_PID=$!; PIDS+=("$NGINX_PID")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$JSON_PORT/health" >/dev/null 2>&1 && break; sleep 0.05; done
  curl -sf "http://127.0.0.1:$SSE_PORT/health" >/dev/null || die "nginx did not start: $(cat "$RUN/nginx.out" "$RUN/nginx-error.log" 2>/dev/null)"
  assert_loopback "$NGINX_PID" nginx
}
stop_pid() { # TERM, then KILL after 5 s (`godex simulate` was seen ignoring SIGTERM)
  kill "$1" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
}

# ----------------------------------------------------------------------------------------------------------- targets
# start_target NAME UPSTREAM_PORT [extra]: sets TPID, TPORT, STARTUP_MS (process start -> first served request)
TPID="" TPORT="" STARTUP_MS=""
start_target() {
  local name=$1 up=$2 health=/health t0 t1
  TPORT=$(free_port)
  [[ $name == portkey ]] && health=/
  # The poller starts first (Python's own start would otherwise be part of the time), then the clock, then the target.
  rm -f "$RUN/first-answer".*
  python3 "$HERE/lib/first-answer.py" "$TPORT" "$health" 30 "$RUN/first-answer.ready" "$RUN/first-answer.pid" \
    >"$RUN/first-answer.out" 2>/dev/null &
  local poller=$!
  for _ in $(seq 1 500); do [[ -e $RUN/first-answer.ready ]] && break; sleep 0.01; done
  t0=$(date +%s%N)
  case "$name" in
    godex)
      # A fresh HOME (so a fresh database) per start: the previous godex may still be letting go of its own.
      mkdir -p "$RUN/home-$TPORT"
      (cd "$RUN" && HOME="$RUN/home-$TPORT" ANTHROPIC_API_KEY=x pin "$PROXY_CPU" "$GODEX" proxy --listen "127.0.0.1:$TPORT" \
        --simulator off --anthropic-base-url "http://127.0.0.1:$up" --base-url "http://127.0.0.1:$up/backend-api/codex" \
        --auth-path "$RUN/auth.json" >"$RUN/$name.log" 2>&1) & ;;
    floor) (pin "$PROXY_CPU" "$FLOOR" --listen "127.0.0.1:$TPORT" --upstream "http://127.0.0.1:$up" >"$RUN/$name.log" 2>&1) & ;;
    translate) (pin "$PROXY_CPU" "$FLOOR" --listen "127.0.0.1:$TPORT" --upstream "http://127.0.0.1:$up" --translate >"$RUN/$name.log" 2>&1) & ;;
    portkey)
      (cd "$HERE/portkey" && NODE_ENV=production pin "$PROXY_CPU" node --require ./loopback.cjs "$PORTKEY_MAIN" \
        --port="$TPORT" --headless >"$RUN/$name.log" 2>&1) & ;;
    sim) (HOME="$RUN/home" pin "$LOAD_CPU" "$GODEX" simulate --listen "127.0.0.1:$TPORT" >"$RUN/$name.log" 2>&1) & ;;
    *) die "unknown target $name" ;;
  esac
  TPID=$!; PIDS+=("$TPID")
  echo "$TPID" >"$RUN/first-answer.pid"
  wait "$poller"; t1=$(cat "$RUN/first-answer.out")
  [[ -n $t1 ]] || t1=$(date +%s%N)
  STARTUP_MS=$(( (t1 - t0) / 1000000 ))
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$TPORT$health" || { log "$name did not start: $(tail -5 "$RUN/$name.log")"; return 1; }
  assert_loopback "$TPID" "$name"
}

# -------------------------------------------------------------------------------------------------------- load runs
# wrk_run CONNS THREADS SECONDS URL BODY [headers...] -> prints the BENCH JSON line
wrk_run() {
  local c=$1 t=$2 d=$3 url=$4; shift 4
  (pin "$LOAD_CPU" timeout $((d + 30)) wrk -t"$t" -c"$c" -d"${d}s" --timeout 5s --latency -s "$HERE/lib/post.lua" "$url" -- "$@" 2>&1) \
    | grep '^BENCH ' | sed 's/^BENCH //'
}
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null; }

# measure SCENARIO TARGET URL BODY MARKER [headers...]: sanity request, warm-up, REPS x (latency c=1, throughput c=64)
measure() {
  local scenario=$1 target=$2 url=$3 body=$4 marker=$5; shift 5
  local hdr=() h out rep lat thr sampler
  for h in "$@"; do hdr+=(-H "$h"); done
  out=$(curl -s --max-time 10 -w '\n%{http_code}' -X POST "$url" -H 'content-type: application/json' "${hdr[@]}" --data-binary "@$body")
  if [[ $(tail -1 <<<"$out") != 200 ]] || ! grep -q "$marker" <<<"$out"; then
    note "$scenario" "$target: sanity request failed (HTTP $(tail -1 <<<"$out")): $(head -c 300 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  [[ $WARMUP -gt 0 ]] && wrk_run 64 2 "$WARMUP" "$url" "$body" "$@" >/dev/null
  for rep in $(seq 1 "$REPS"); do
    lat=$(wrk_run 1 1 "$LAT_DURATION" "$url" "$body" "$@")
    record "$scenario" "$target" "$rep" p50_us "$(jget "$lat" p50_us)"
    record "$scenario" "$target" "$rep" p99_us "$(jget "$lat" p99_us)"
    if [[ -n $PID_UNDER_TEST ]]; then
      ( for _ in $(seq 1 $((DURATION * 4 + 40))); do rss_mb "$PID_UNDER_TEST" VmRSS; echo; sleep 0.25; done ) >"$RUN/rss.samples" &
      sampler=$!
    fi
    thr=$(wrk_run 64 2 "$DURATION" "$url" "$body" "$@")
    if [[ -n $PID_UNDER_TEST ]]; then
      kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
      record "$scenario" "$target" "$rep" rss_load_mb "$(sort -n "$RUN/rss.samples" | grep . | tail -1)"
    fi
    record "$scenario" "$target" "$rep" rps "$(jget "$thr" rps)"
    record "$scenario" "$target" "$rep" errors "$(( $(jget "$thr" socket_errors || echo 0) + $(jget "$thr" status_errors || echo 0) ))"
    record "$scenario" "$target" "$rep" p99_c64_us "$(jget "$thr" p99_us)"
    log "$MODE $scenario $target rep $rep: c=1 p50 $(jget "$lat" p50_us) us p99 $(jget "$lat" p99_us) us | c=64 $(jget "$thr" rps) req/s"
  done
  [[ -n $PID_UNDER_TEST ]] && record "$scenario" "$target" - rss_peak_mb "$(rss_mb "$PID_UNDER_TEST" VmHWM)"
}

want_target() { [[ -z $TARGETS_FILTER || " $TARGETS_FILTER " == *" $1 "* ]]; }

# run_target SCENARIO TARGET UPSTREAM_PORT PATH BODY MARKER [headers...]
run_target() {
  local scenario=$1 target=$2 up=$3 path=$4 body=$5 marker=$6; shift 6
  want_target "$target" || return 0
  if [[ $target == portkey && $PORTKEY -eq 0 ]]; then return 0; fi
  if [[ $target == direct ]]; then
    PID_UNDER_TEST=""
    measure "$scenario" direct "http://127.0.0.1:$up$path" "$body" "$marker" "$@"
    return
  fi
  start_target "$target" "$up" || { note "$scenario" "$target did not start"; return 0; }
  record "$scenario" "$target" - startup_ms "$STARTUP_MS"
  sleep 1
  record "$scenario" "$target" - rss_idle_mb "$(rss_mb "$TPID" VmRSS)"
  PID_UNDER_TEST=$TPID
  measure "$scenario" "$target" "http://127.0.0.1:$TPORT$path" "$body" "$marker" "$@"
  stop_pid "$TPID"
}

# probe_godex PATH BODY: 0 when godex serves the endpoint (anything but 404/405)
probe_godex() {
  local code
  start_target godex "$SSE_PORT" || return 1
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "http://127.0.0.1:$TPORT$1" \
    -H 'content-type: application/json' -H 'x-api-key: x' -H 'anthropic-version: 2023-06-01' --data-binary "@$2")
  stop_pid "$TPID"
  [[ $code != 404 && $code != 405 ]]
}

F="$HERE/fixtures"
ANTH=("x-api-key: x" "anthropic-version: 2023-06-01")
PK=("x-portkey-provider: anthropic" "x-portkey-custom-host: http://127.0.0.1:$JSON_PORT/v1" "authorization: Bearer x")

scenario_a() { # chat -> Anthropic, non-stream (f: the same with a ~100 KB request)
  local s=$1 chat=$2 anth=$3
  run_target "$s" direct "$JSON_PORT" /v1/messages "$anth" Hello "${ANTH[@]}"
  run_target "$s" floor "$JSON_PORT" /v1/chat/completions "$chat" Hello
  run_target "$s" translate "$JSON_PORT" /v1/chat/completions "$chat" Hello
  # godex asks Anthropic for a whole JSON answer here too (a non-streamed client, max_tokens <= 8192, no thinking).
  run_target "$s" godex "$JSON_PORT" /v1/chat/completions "$chat" Hello
  run_target "$s" portkey "$JSON_PORT" /v1/chat/completions "$chat" Hello "${PK[@]}"
}
scenario_b() {
  run_target b direct "$SSE_PORT" /v1/messages "$F/anthropic-request-stream.json" message_stop "${ANTH[@]}"
  run_target b floor "$SSE_PORT" /v1/chat/completions "$F/chat-anthropic-stream.json" DONE
  run_target b translate "$SSE_PORT" /v1/chat/completions "$F/chat-anthropic-stream.json" DONE
  run_target b godex "$SSE_PORT" /v1/chat/completions "$F/chat-anthropic-stream.json" DONE
  note b "portkey: not measured streamed (its streaming fails on node 20)"
}
scenario_c() {
  if ! probe_godex /v1/responses "$F/responses-request-stream.json"; then note c "not yet implemented in godex (POST /v1/responses: 404/405)"; return; fi
  run_target c direct "$SSE_PORT" /backend-api/codex/responses "$F/responses-request-stream.json" response.completed
  run_target c floor "$SSE_PORT" /v1/responses "$F/responses-request-stream.json" response.completed
  run_target c godex "$SSE_PORT" /v1/responses "$F/responses-request-stream.json" response.completed
}
scenario_d() {
  if ! probe_godex /v1/messages "$F/anthropic-request-stream.json"; then note d "not yet implemented in godex (POST /v1/messages: 404/405)"; return; fi
  run_target d direct "$SSE_PORT" /v1/messages "$F/anthropic-request-stream.json" message_stop "${ANTH[@]}"
  run_target d floor "$SSE_PORT" /v1/messages "$F/anthropic-request-stream.json" message_stop "${ANTH[@]}"
  run_target d godex "$SSE_PORT" /v1/messages "$F/anthropic-request-stream.json" message_stop "${ANTH[@]}"
}
scenario_e() {
  run_target e direct "$SSE_PORT" /backend-api/codex/responses "$F/responses-request-stream.json" response.completed
  run_target e floor "$SSE_PORT" /v1/chat/completions "$F/chat-codex-stream.json" DONE
  run_target e godex "$SSE_PORT" /v1/chat/completions "$F/chat-codex-stream.json" DONE
  note e "translate floor: not built for Codex (the naive floor translates to Anthropic only)"
}

scenario_g() { # paced streams through the built-in simulator ([sim:slow=PACE] between tokens)
  local sim_port sim_pid target level try
  local -A url body pid best best_rss passes fails
  local targets=()
  start_target sim 0 || { note g "simulator did not start"; return; }
  sim_port=$TPORT sim_pid=$TPID
  printf '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"[sim:slow=%s] Tell me a story"}]}' "$PACE_MS" >"$RUN/g-chat.json"
  printf '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"[sim:slow=%s] Tell me a story"}]}' "$PACE_MS" >"$RUN/g-anthropic.json"
  for target in direct floor godex; do
    want_target "$target" || continue
    case "$target" in
      direct) url[$target]="http://127.0.0.1:$sim_port/v1/messages" body[$target]="$RUN/g-anthropic.json" pid[$target]="" ;;
      floor) start_target floor "$sim_port" || continue; url[$target]="http://127.0.0.1:$TPORT/v1/messages" body[$target]="$RUN/g-anthropic.json" pid[$target]=$TPID ;;
      godex) start_target godex "$sim_port" || continue; url[$target]="http://127.0.0.1:$TPORT/v1/chat/completions" body[$target]="$RUN/g-chat.json" pid[$target]=$TPID ;;
    esac
    targets+=("$target") best[$target]=0 best_rss[$target]=""
  done
  sleep 1
  for target in "${targets[@]}"; do [[ -n ${pid[$target]} ]] && record g "$target" - rss_idle_mb "$(rss_mb "${pid[$target]}" VmRSS)"; done
  # The targets take each level in turn (direct, floor, godex, then the next level), each against its own process and
  # each with its tries back to back, so that a noisy minute on this shared machine falls on the targets of one level
  # rather than on whichever ran its whole climb then: run target after target, the levels compared were minutes apart.
  # After godex's turn the harness waits out its idle trim (a compacting collection after a quiet 5 s period,
  # docs/proxy.md), which would otherwise fall into the floor's next tries on the same CPU; for the same reason a
  # target that drops out is stopped at once.
  local need=$((G_TRIES / 2 + 1)) active=("${targets[@]}") still
  for level in $G_LEVELS; do
    ((${#active[@]} > 0)) || break
    still=()
    for target in "${active[@]}"; do
      passes[$target]=0 fails[$target]=0
      local level_rss=""
      for ((try = 1; passes[$target] < need && fails[$target] < need; try++)); do
        run_g_try "$target" "$level" "$try"
        if [[ $(jget "$G_OUT" passed) == True ]]; then passes[$target]=$((passes[$target] + 1)) level_rss=$G_RSS; else fails[$target]=$((fails[$target] + 1)); fi
      done
      record g "$target" "$level" level_vote "${passes[$target]}/$((passes[$target] + fails[$target]))"
      if ((passes[$target] >= need)); then
        best[$target]=$level best_rss[$target]=$level_rss still+=("$target")
      elif [[ -n ${pid[$target]} ]]; then
        stop_pid "${pid[$target]}"; pid[$target]=""
      fi
      [[ $target == godex ]] && sleep "$G_SETTLE_S"
    done
    active=("${still[@]}")
  done
  for target in "${targets[@]}"; do
    record g "$target" - streams_ok "${best[$target]}"
    [[ -n ${best_rss[$target]} ]] && record g "$target" - rss_at_best_mb "${best_rss[$target]}"
    [[ -n ${pid[$target]} ]] && stop_pid "${pid[$target]}"
  done
  stop_pid "$sim_pid"
}

# run_g_try TARGET LEVEL TRY: one try of a (g) level (uses url/body/pid of scenario_g); sets G_OUT and G_RSS (peak, MB)
run_g_try() {
  local target=$1 level=$2 try=$3 sampler=""
  G_RSS=""
  if [[ -n ${pid[$target]} ]]; then
    ( for _ in $(seq 1 400); do rss_mb "${pid[$target]}" VmRSS; echo; sleep 0.25; done ) >"$RUN/rss.samples" &
    sampler=$!
  fi
  G_OUT=$( (pin "$LOAD_CPU" timeout 90 "$STREAMCLIENT" --url "${url[$target]}" --body "${body[$target]}" --streams "$level" --rounds 3 \
    --pace-ms "$PACE_MS" --timeout-s 60 --header "x-api-key: x" --header "anthropic-version: 2023-06-01") 2>&1 | tail -1)
  if [[ -n $sampler ]]; then
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    G_RSS=$(sort -n "$RUN/rss.samples" | grep . | tail -1)
  fi
  log "g $target $level streams (try $try): $G_OUT rss ${G_RSS:-n/a} MB"
  record g "$target" "$level" level_result "$G_OUT"
}

# --------------------------------------------------------------------------------------------------------------- run
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$NPROC"
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  echo "kernel=$(uname -r)"
  echo "godex=$("$GODEX" --version 2>/dev/null | head -1)"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
  echo "nginx=$("$NGINX" -v 2>&1 | sed 's/.*version: //')"
  echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "node=$(node --version 2>/dev/null)"
  echo "reps=$REPS duration=${DURATION}s lat_duration=${LAT_DURATION}s warmup=${WARMUP}s pace=${PACE_MS}ms"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/meta"
cp "$RUN/meta" "$OUT/meta-$STAMP.txt"
log "results: $RESULTS"
for MODE in ${MODES//,/ }; do
  scenarios=$SCENARIOS
  [[ $MODE == unpinned && $SMOKE -eq 0 ]] && scenarios=$UNPINNED_SCENARIOS
  log "mode $MODE (pinned: proxy on CPU $PROXY_CPU, load + upstream on CPU $LOAD_CPU): scenarios $scenarios"
  # The harness itself (its port polling, curl, RSS sampling) stays off the proxy's CPU when pinned: the poll loop
  # spinning on that CPU was part of every "start -> first request" time it measured.
  if [[ $MODE == pinned ]]; then taskset -pc "$LOAD_CPU" $$ >/dev/null; else taskset -pc "0-$((NPROC - 1))" $$ >/dev/null; fi
  start_nginx
  for s in ${scenarios//,/ }; do
    case "$s" in
      a) scenario_a a "$F/chat-anthropic.json" "$F/anthropic-request.json" ;;
      b) scenario_b ;;
      c) scenario_c ;;
      d) scenario_d ;;
      e) scenario_e ;;
      f) scenario_a f "$RUN/chat-large.json" "$RUN/anthropic-large.json" ;;
      g) [[ $MODE == pinned || ,$MODES, != *,pinned,* ]] && scenario_g ;;
      *) log "unknown scenario $s" ;;
    esac
  done
  stop_pid "$NGINX_PID"
done

python3 "$HERE/lib/report.py" "$RESULTS" "$RUN/meta" | tee "$REPORT"
log "report: $REPORT"
if [[ $SMOKE -eq 1 ]]; then
  # The smoke proves the harness still works: both rows measured, no errors. Numbers are not asserted.
  python3 - "$RESULTS" <<'EOF' || die "smoke: a row is missing or saw errors"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
have = {(r[2], r[4]) for r in rows if len(r) == 6}
for t in ("direct", "godex"):
    assert (t, "rps") in have, f"no throughput for {t}"
errors = [r for r in rows if len(r) == 6 and r[4] == "errors" and r[5] not in ("0", "")]
assert not errors, errors
notes = [r for r in rows if len(r) == 6 and r[4] == "note"]
assert not notes, notes
EOF
  log "smoke passed"
fi
