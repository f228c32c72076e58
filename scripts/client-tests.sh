#!/usr/bin/env bash
# Runs the official client libraries (test/clients, pinned by package-lock.json) against the published godex
# binary on the built-in simulator. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=artifacts/publish/Godex.Cli/release/godex
(cd test/clients && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
state=$(mktemp -d)  # the proxy's own database and admin socket: never the user's ~/.godex
source scripts/chat-upstream.sh
start_chat_upstream "$bin" "$state"  # OpenAI-compatible backends (custom.sim, custom.quirky)
GODEX_PROXY_DATABASE="$state/godex.db" GODEX_PROXY_ADMIN_SOCKET="$state/admin.sock" \
  "$bin" proxy --config "$chat_upstream_config" --listen "127.0.0.1:$port" --simulator on >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; stop_chat_upstream; rm -rf "$log" "$state"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
cd test/clients
GODEX_BIN="$root/$bin" GODEX_URL="http://127.0.0.1:$port" GODEX_E2E_CUSTOM_MODEL="$chat_upstream_openai_model" timeout 300 node --test --test-reporter=spec --test-concurrency=1 ./*.test.mjs
