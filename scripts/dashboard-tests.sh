#!/usr/bin/env bash
# The web dashboard (/ui/) in a real headless Chromium from the OS packages (scripts/install-prereqs.sh installs it),
# driven by Playwright with axe-core's accessibility checks (test/dashboard, pinned by its lockfile), against the
# published godex binary on its simulator with an admin key and a static client key. Screenshots of every page go to
# $SCREENSHOT_DIR when it is set (SCREENSHOT_DIR=docs/dashboard refreshes the ones docs/dashboard.md shows); a test run
# never rewrites files of the repository. Loopback only; bounded in time; the proxy is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=artifacts/publish/Godex.Cli/release/godex
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "dashboard tests: $chromium is missing (apt-get install chromium; scripts/install-prereqs.sh does)" >&2
  exit 1
fi
(cd test/dashboard && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
state=$(mktemp -d)  # the proxy's own database and HOME: never the user's ~/.godex
admin_key="dashboard-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
api_key="dashboard-static-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
HOME="$state" GODEX_PROXY_DATABASE="$state/godex.db" GODEX_PROXY_ADMIN_SOCKET=off \
  GODEX_PROXY_ADMIN_KEY="$admin_key" GODEX_PROXY_API_KEY="$api_key" \
  "$bin" proxy --listen "127.0.0.1:$port" --simulator on >"$state/proxy.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$state"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
cd test/dashboard
GODEX_URL="http://127.0.0.1:$port" GODEX_ADMIN_KEY="$admin_key" GODEX_API_KEY="$api_key" CHROMIUM="$chromium" \
  SCREENSHOT_DIR="${SCREENSHOT_DIR:+$(cd "$root" && realpath -m "$SCREENSHOT_DIR")}" \
  timeout 300 node --test --test-reporter=spec --test-concurrency=1 ./*.test.mjs || { tail -50 "$state/proxy.log" >&2; exit 1; }
