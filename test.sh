#!/usr/bin/env bash
# Runs every test: the xunit suites (real Kestrel servers on 127.0.0.1, the official OpenAI .NET SDK, recorded
# upstream traffic from ../shared/wire-fixtures), then publishes the Native AOT binary (failing on any trim/AOT
# warning) and runs the README's curl examples against it.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prereqs.sh
log=$(mktemp)
set +e
dotnet test Godex.slnx -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
totals=$(grep -E '^\s*(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\1 \2/' | awk '{f+=$1; p+=$2} END {print f+0, p+0}')
rm -f "$log"
if [[ $rc -ne 0 ]]; then echo "unit and integration tests failed"; fi
read -r failed passed <<<"$totals"
scripts/publish.sh
if scripts/smoke.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[[ $rc -eq 0 && $failed -eq 0 ]]
