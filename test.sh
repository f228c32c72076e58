#!/usr/bin/env bash
# Runs every test:
#   1. the xunit suites (real Kestrel servers on 127.0.0.1, the official OpenAI .NET SDK, the upstream simulator,
#      recorded upstream traffic from ../shared/wire-fixtures);
#   2. the Native AOT publish of the godex binary, failing on any trim/AOT warning;
#   3. the README's curl examples against that binary (scripts/smoke.sh);
#   4. the official openai-node SDK against that binary (test/clients, pinned by its lockfile);
#   5. a ~5 s smoke of the benchmark harness (bench/run.sh --smoke: it runs, numbers are not asserted).
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-prereqs.sh || exit 1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet test Godex.slnx -c Release 2>&1 | tee "$log"
dotnet_rc=${PIPESTATUS[0]}
read -r f p < <(grep -E '^\s*(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\1 \2/' | awk '{f+=$1; p+=$2} END {print f+0, p+0}')
passed=$((passed + p)); failed=$((failed + f))
if [[ $dotnet_rc -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); echo "dotnet test failed (build error?)"; fi

if scripts/publish.sh; then
  passed=$((passed + 1))
  if scripts/smoke.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  scripts/client-tests.sh 2>&1 | tee "$log"
  node_rc=${PIPESTATUS[0]}
  p=$(grep -E '^ℹ pass ' "$log" | awk '{print $3}'); f=$(grep -E '^ℹ fail ' "$log" | awk '{print $3}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [[ $node_rc -ne 0 && ${f:-0} -eq 0 ]]; then failed=$((failed + 1)); fi
  if bench/run.sh --smoke >"$log" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "bench smoke failed:"; tail -20 "$log"; fi
else
  echo "Native AOT publish failed or warned"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
