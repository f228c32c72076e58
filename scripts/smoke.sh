#!/usr/bin/env bash
# Starts the published godex binary on the built-in simulator and runs the README's curl examples against it
# (the block between the smoke markers), checking each answer. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=artifacts/publish/Godex.Cli/release/godex
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
home=$(mktemp -d)
# An empty HOME and CODEX_HOME: no login exists, so godex must pick the simulator by itself.
env -u ANTHROPIC_API_KEY -u GODEX_CONFIG HOME=$home CODEX_HOME=$home CLAUDE_CONFIG_DIR=$home "$bin" proxy --listen "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$log" "$home"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
grep -q "built-in simulator" "$log" || { echo "smoke: the startup log does not announce simulator mode"; cat "$log"; exit 1; }

examples=$(sed -n '/<!-- smoke:begin -->/,/<!-- smoke:end -->/p' README.md | grep -E '^curl ' | sed "s/39001/$port/g")
[[ -n "$examples" ]] || { echo "smoke: no curl examples found in README.md"; exit 1; }
n=0
while IFS= read -r example; do
  n=$((n + 1))
  out=$(timeout 30 bash -c "$example")
  python3 - "$example" "$out" <<'PY'
import json, sys
cmd, out = sys.argv[1], sys.argv[2]
if '"stream":true' in cmd:
    events = [l[6:] for l in out.splitlines() if l.startswith('data: ')]
    assert events and events[-1] == '[DONE]', f'stream did not end with [DONE]: {out[-300:]}'
    chunks = [json.loads(e) for e in events[:-1]]
    text = ''.join((c['choices'][0]['delta'].get('content') or '') for c in chunks if c.get('choices'))
    finish = [c['choices'][0]['finish_reason'] for c in chunks if c.get('choices') and c['choices'][0].get('finish_reason')]
    assert text.strip(), f'no text streamed: {out[:300]}'
    assert finish == ['stop'], f'finish reasons {finish}'
else:
    body = json.loads(out)
    if '/v1/models' in cmd:
        assert body['object'] == 'list' and body['data'], body
    else:
        choice = body['choices'][0]
        assert choice['message']['content'].strip(), body
        assert choice['finish_reason'] == 'stop', body
        assert body['usage']['total_tokens'] > 0, body
PY
  echo "smoke: ok: ${example:0:100}"
done <<<"$examples"
echo "smoke: $n README examples answered correctly"
