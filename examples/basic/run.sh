#!/usr/bin/env bash
# One model turn with godex exec: plain text, then Wire v0 JSONL. Uses $GODEX (default: the published binary).
# Without a Codex or Claude login (or with GODEX_EXAMPLE_SIMULATOR=on) the built-in simulator answers.
set -euo pipefail
GODEX=${GODEX:-"$(dirname "$0")/../../artifacts/publish/Godex.Cli/release/godex"}
SIM=${GODEX_EXAMPLE_SIMULATOR:-auto}

echo "== text (Codex model)"
"$GODEX" exec --simulator "$SIM" --model gpt-5.2-codex --prompt "Say hello in five words."
echo
echo "== text (Claude model, via alias)"
"$GODEX" exec --simulator "$SIM" --model sonnet --prompt "Say hello in five words."
echo
echo "== Wire v0 JSONL"
"$GODEX" exec --simulator "$SIM" --json --prompt "Say hello in five words."
