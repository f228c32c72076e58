#!/usr/bin/env bash
# Several instances: a throwaway PostgreSQL server from the OS packages (scripts/pg-temp.sh), the simulated LND node,
# two published godex processes on that database (each on its built-in simulator, with --payments) and nginx in front
# of them, all on 127.0.0.1; test/several-instances/driver.py checks the ledger, limits, responses, L402 and a kill -9.
# PostgreSQL or nginx missing fails the phase with one line. Every process started here is stopped by its PID.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/artifacts/publish/Godex.Cli/release/godex
run=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  scripts/pg-temp.sh stop "$run/pg"
  rm -rf "$run"
}
trap cleanup EXIT
fail() { echo "several instances: $*"; echo "0 passed, 1 failed"; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || fail "nginx is not installed (scripts/install-prereqs.sh installs it)"
db=$(scripts/pg-temp.sh start "$run/pg" --fast 2>"$run/pg.err") || fail "$(head -1 "$run/pg.err")"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
sim_port=$(free_port); lnd_port=$(free_port); a_port=$(free_port); b_port=$(free_port); nginx_port=$(free_port)

HOME=$run "$bin" simulate --listen "127.0.0.1:$sim_port" --lightning "$run/lnd" --lightning-port "$lnd_port" >"$run/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [[ -f $run/lnd/invoice.macaroon ]] && break; sleep 0.1; done
start_godex() { # name port
  mkdir -p "$run/$1"
  HOME=$run/$1 GODEX_PROXY_DATABASE=$db GODEX_LND_URL="https://127.0.0.1:$lnd_port" GODEX_LND_TLS_CERT_PATH="$run/lnd/tls.cert" \
    GODEX_LND_MACAROON_PATH="$run/lnd/invoice.macaroon" \
    "$bin" proxy --listen "127.0.0.1:$2" --simulator on --payments --macaroon-key "$run/macaroon-keys.json" \
      --l402-redeemed-path "$run/$1/l402-redeemed.jsonl" >"$run/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$2/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$run/$1.log"; fail "godex $1 did not start"
}
start_godex a "$a_port"   # first: it creates the shared macaroon key file
start_godex b "$b_port"
b_pid=${pids[-1]}
disown "$b_pid" # the driver kills it with -9; no "Killed" line from this shell (cleanup still stops it by PID)
mkdir -p "$run/nginx"
cat >"$run/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $run/nginx/nginx.pid;
error_log $run/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $run/nginx/body; proxy_temp_path $run/nginx/proxy; fastcgi_temp_path $run/nginx/fcgi;
  uwsgi_temp_path $run/nginx/uwsgi; scgi_temp_path $run/nginx/scgi;
  upstream godex { server 127.0.0.1:$a_port max_fails=1 fail_timeout=5s; server 127.0.0.1:$b_port max_fails=1 fail_timeout=5s; keepalive 32; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://godex; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off;
      proxy_next_upstream error timeout http_502; proxy_connect_timeout 2s; proxy_read_timeout 60s;
    }
  }
}
CONF
"$nginx_bin" -p "$run/nginx" -c "$run/nginx/nginx.conf" >"$run/nginx/out.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$nginx_port/health" >/dev/null 2>&1 && break; sleep 0.1; done

NGINX_PORT=$nginx_port A_PORT=$a_port B_PORT=$b_port B_PID=$b_pid GODEX_BIN=$bin DATABASE_URL=$db PSQL_URL=$db \
  RUN_DIR=$run LND_PORT=$lnd_port LND_DIR=$run/lnd A_REDEEMED=$run/a/l402-redeemed.jsonl B_REDEEMED=$run/b/l402-redeemed.jsonl \
  timeout 300 python3 test/several-instances/driver.py
rc=$?
if [[ $rc -ne 0 ]]; then echo "--- godex a"; tail -20 "$run/a.log"; echo "--- godex b"; tail -20 "$run/b.log"; fi
exit $rc
