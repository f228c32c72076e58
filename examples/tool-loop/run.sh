#!/usr/bin/env bash
# Two ways to run tools with godex exec:
#  1. --auto-tools: godex answers the calls with static outputs and continues (one final response.completed);
#  2. orchestrator-driven: read the function_call from the JSONL, run the tool, continue with --input-json.
set -euo pipefail
GODEX=${GODEX:-"$(dirname "$0")/../../artifacts/publish/Godex.Cli/release/godex"}
SIM=${GODEX_EXAMPLE_SIMULATOR:-auto}
MODEL=${MODEL:-gpt-5.2-codex}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. built-in loop ($MODEL)"
"$GODEX" exec --simulator "$SIM" --model "$MODEL" --json --prompt "What is the weather in Paris? call the tool" \
  --tool "weather:json=$here/weather.schema.json" --auto-tools --tool-output 'weather=sunny, 21C'

echo "== 2. orchestrator-driven loop ($MODEL)"
"$GODEX" exec --simulator "$SIM" --model "$MODEL" --json --prompt "What is the weather in Paris? call the tool" \
  --tool "weather:json=$here/weather.schema.json" > "$work/turn1.jsonl"
done_line=$(grep '"response.output_item.done"' "$work/turn1.jsonl" | head -1)
call_id=$(printf '%s' "$done_line" | sed -E 's/.*"call_id":"([^"]+)".*/\1/')
args=$(printf '%s' "$done_line" | sed -E 's/.*"arguments":"((\\.|[^"\\])*)".*/\1/')
echo "model called weather ($call_id) with $args"
cat > "$work/input.json" <<JSON
[
  {"type":"message","role":"user","content":"What is the weather in Paris? call the tool"},
  {"type":"function_call","call_id":"$call_id","name":"weather","arguments":"$args"},
  {"type":"function_call_output","call_id":"$call_id","output":"rainy, 12C"}
]
JSON
"$GODEX" exec --simulator "$SIM" --model "$MODEL" --input-json "$work/input.json" --tool "weather:json=$here/weather.schema.json"
echo
