#!/usr/bin/env bash
# Runs every test:
#   1. the xunit suites (real Kestrel servers on 127.0.0.1, the official OpenAI .NET SDK, the upstream simulator,
#      recorded upstream traffic from test/fixtures);
#   2. the Native AOT publish of the godex binary, failing on any trim/AOT warning;
#   3. the README's curl examples against that binary (scripts/smoke.sh);
#   then, against that binary, the real clients, each pinned by its lockfile:
#   4. the official openai-node SDK and the Vercel AI SDK (test/clients);
#   5. the official Anthropic TypeScript SDK (test/clients-anthropic);
#   6. the real Codex CLI (test/e2e/codex-cli);
#   7. the real Claude Code CLI (test/e2e/claude-code);
#   8. L402 interop: npm bolt11 and macaroon against godex --payments and its simulated LND node (test/l402);
#   8b. several instances: two godex processes on one PostgreSQL server (from the OS packages, started on a temp
#       directory) behind nginx: ledger, limits, responses, L402 and kill -9 (scripts/several-instances-tests.sh);
#   8c. the web dashboard in a real headless Chromium (the OS package) driven by Playwright, with axe-core
#       (test/dashboard): login, keys, live events, charts, config, CSRF (SCREENSHOT_DIR=docs/dashboard refreshes the docs);
#   9. a ~5 s smoke of the benchmark harness (bench/run.sh --smoke: it runs, numbers are not asserted);
#  10. the hostile corpus (test/hostile/run.py, after the curl examples): over a thousand hostile client requests and
#      every scripted upstream fault on every route, streamed and not: no 5xx for client input, no hang, every error
#      in the front door's shape; then 60 requests of 19 MB and 30 s idle: RSS at most 1,000 MB at the peak and back
#      under 150 MB (memory.py burst).
# Every phase's results are added up into one closing line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-prereqs.sh || exit 1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs a phase whose output ends with node's "ℹ pass N" / "ℹ fail N" or a plain "N passed, N failed" line.
phase() {
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} p f
  p=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  if [[ -z "$p" ]]; then
    read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $1, $3}')
  fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [[ $rc -ne 0 && ${f:-0} -eq 0 ]]; then failed=$((failed + 1)); echo "phase failed: $*"; fi
}

dotnet test Godex.slnx -c Release 2>&1 | tee "$log"
dotnet_rc=${PIPESTATUS[0]}
read -r f p < <(grep -E '^\s*(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\1 \2/' | awk '{f+=$1; p+=$2} END {print f+0, p+0}')
passed=$((passed + p)); failed=$((failed + f))
if [[ $dotnet_rc -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); echo "dotnet test failed (build error?)"; fi

if scripts/publish.sh; then
  passed=$((passed + 1))
  if scripts/smoke.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  phase python3 test/hostile/run.py
  phase python3 test/hostile/memory.py burst --requests 60 --idle 30   # peak RSS <= 1,000 MB, back under 150 MB after 19 MB bodies (~1.5 min)
  phase scripts/client-tests.sh
  phase scripts/anthropic-client-tests.sh
  phase scripts/codex-cli-tests.sh
  phase scripts/claude-code-tests.sh
  phase scripts/l402-tests.sh
  phase scripts/several-instances-tests.sh
  phase scripts/dashboard-tests.sh
  if bench/run.sh --smoke >"$log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "bench smoke failed:"; tail -20 "$log"; fi
  # A start builds no generic types at run time beyond the one array it needs (src/Godex.Cli/generic-instantiations.rd.xml).
  if bench/runtime-generic-types.sh --max 1 >"$log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "start-time generic types:"; tail -30 "$log"; fi
else
  echo "Native AOT publish failed or warned"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
