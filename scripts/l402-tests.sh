#!/usr/bin/env bash
# L402 interop: the published godex binary with --payments in front of its simulated LND node (godex simulate
# --lightning), checked by independent implementations (npm bolt11 and macaroon, pinned by test/l402's lockfile).
# Loopback only; bounded in time; every process started here is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=artifacts/publish/Godex.Cli/release/godex
(cd test/l402 && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
home=$(mktemp -d)
sim_port=$(free_port); lnd_port=$(free_port); port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$home"; }
trap cleanup EXIT
HOME="$home" "$bin" simulate --listen "127.0.0.1:$sim_port" --lightning "$home/lnd" --lightning-port "$lnd_port" >"$home/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [[ -f "$home/lnd/invoice.macaroon" ]] && break; sleep 0.1; done
HOME="$home" GODEX_LND_URL="https://127.0.0.1:$lnd_port" GODEX_LND_TLS_CERT_PATH="$home/lnd/tls.cert" \
  GODEX_LND_MACAROON_PATH="$home/lnd/invoice.macaroon" \
  "$bin" proxy --listen "127.0.0.1:$port" --simulator on --payments >"$home/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
cd test/l402
GODEX_URL="http://127.0.0.1:$port" LND_URL="https://127.0.0.1:$lnd_port" LND_CERT="$home/lnd/tls.cert" \
  LND_MACAROON="$home/lnd/invoice.macaroon" MACAROON_KEYS="$home/.godex/macaroon-keys.json" \
  timeout 120 node --test --test-reporter=spec --test-concurrency=1 ./*.test.mjs || { cat "$home/proxy.log" "$home/sim.log" >&2; exit 1; }
