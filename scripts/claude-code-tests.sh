#!/usr/bin/env bash
# Runs the real Claude Code CLI (test/e2e/claude-code, pinned by package-lock.json) against the published godex binary on
# the built-in simulator: plain and Bash tool turns on a Claude and a GPT model. Loopback only;
# every Claude Code run is bounded by a timeout. Ends with `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=artifacts/publish/Godex.Cli/release/godex
started=$SECONDS
(cd test/e2e/claude-code && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "claude-code: npm ci took $((SECONDS - started)) s ($(test/e2e/claude-code/node_modules/.bin/claude --version))"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
state=$(mktemp -d)  # the proxy's own database and admin socket: never the user's ~/.godex
source scripts/chat-upstream.sh
start_chat_upstream "$bin" "$state"  # OpenAI-compatible backends (custom.quirky serves gpt-4o)
GODEX_PROXY_DATABASE="$state/godex.db" GODEX_PROXY_ADMIN_SOCKET="$state/admin.sock" \
  "$bin" proxy --config "$chat_upstream_config" --listen "127.0.0.1:$port" --simulator on >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; stop_chat_upstream; rm -rf "$log" "$state"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
started=$SECONDS
rc=0
GODEX_URL="http://127.0.0.1:$port" GODEX_E2E_CUSTOM_MODEL="$chat_upstream_model" timeout 900 test/e2e/claude-code/run-tests.sh || rc=$?
echo "claude-code: the e2e run took $((SECONDS - started)) s"
if [[ $rc -ne 0 ]]; then echo "--- godex log (last 40 lines)"; tail -n 40 "$log"; fi
exit $rc
