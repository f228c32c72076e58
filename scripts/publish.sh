#!/usr/bin/env bash
# Publishes the godex binary with Native AOT and fails on any trim/AOT warning (IL2xxx/IL3xxx). Extra arguments go to
# dotnet publish, e.g. scripts/publish.sh -p:IlcInstructionSet=native (code for this machine's CPU only: docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh
log=$(mktemp)
if ! dotnet publish src/Godex.Cli -c Release -r linux-x64 -o artifacts/publish/Godex.Cli/release -p:Version="$(scripts/version.sh)" "$@" 2>&1 | tee "$log"; then
  echo "publish failed" >&2; exit 1
fi
if grep -qE 'warning (IL[23][0-9]{3}|CS|CA)' "$log"; then
  echo "publish produced warnings:" >&2; grep -E 'warning (IL[23][0-9]{3}|CS|CA)' "$log" | sort -u >&2; exit 1
fi
rm -f "$log"
ls -l artifacts/publish/Godex.Cli/release/godex
