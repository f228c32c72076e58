#!/usr/bin/env bash
# Hosted web search: --web-search sends the backend's own search tool (Codex web_search, Anthropic
# web_search_20250305); the request log shows what was really sent upstream.
set -euo pipefail
GODEX=${GODEX:-"$(dirname "$0")/../../artifacts/publish/Godex.Cli/release/godex"}
SIM=${GODEX_EXAMPLE_SIMULATOR:-auto}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for model in gpt-5.2-codex sonnet; do
  echo "== $model"
  "$GODEX" exec --simulator "$SIM" --model "$model" --web-search --log-requests "$log" \
    --prompt "What happened in the news today? Search the web."
  echo
  grep -o '"type":"web_search[^"]*"' "$log" | head -1
done
