#!/usr/bin/env bash
# Runs the real Claude Code CLI (pinned in package-lock.json) against a running godex: a plain answer and a Bash tool
# turn, on a Claude model (Anthropic passthrough) and on a GPT model (translated to the Codex backend). Needs
# GODEX_URL (http://127.0.0.1:PORT) and `npm ci` done here. Prints one line per case and `N passed, N failed`.
#
# The Bash turn on the Claude model also checks that thinking signatures survive: Claude Code echoes turn 1's
# thinking block with its signature in turn 2, and the simulator, like the real API, rejects a turn whose thinking
# no longer matches its signature, so any byte godex changed in it fails the case.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${GODEX_URL:?set GODEX_URL to the godex base URL, e.g. http://127.0.0.1:39001}"
claude="$here/node_modules/.bin/claude"
run_timeout=${CLAUDE_RUN_TIMEOUT:-120}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0

# run_claude NAME MODEL PROMPT [ARGS...]: one `claude -p` in a fresh HOME and work dir. Sets $dir, $rc, $out.
run_claude() {
  local name=$1 model=$2 prompt=$3
  shift 3
  dir="$scratch/$name"
  mkdir -p "$dir/home/.claude" "$dir/work"
  local started=$SECONDS
  # Loopback only: these variables turn off Claude Code's telemetry, updates and error reports; any other
  # connection it tries goes to a closed local port.
  (cd "$dir/work" && env HOME="$dir/home" CLAUDE_CONFIG_DIR="$dir/home/.claude" \
      ANTHROPIC_BASE_URL="$GODEX_URL" ANTHROPIC_API_KEY=godex-e2e \
      DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 \
      HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost \
      timeout "$run_timeout" "$claude" -p "$prompt" --model "$model" "$@" </dev/null >"$dir/stdout.txt" 2>"$dir/stderr.txt")
  rc=$?
  elapsed=$((SECONDS - started))
  out=$(cat "$dir/stdout.txt")
}

report() {
  if [[ $2 == ok ]]; then
    passed=$((passed + 1)); echo "ok   $1 (${elapsed}s)"
  else
    failed=$((failed + 1)); echo "FAIL $1 (${elapsed}s): $3"
    echo "  --- stdout"; tail -n 20 "$dir/stdout.txt" | sed 's/^/  /'
    echo "  --- stderr"; tail -n 30 "$dir/stderr.txt" | sed 's/^/  /'
  fi
}

# GODEX_E2E_CUSTOM_MODEL: a model of an OpenAI-compatible backend (Messages → Chat Completions), when configured.
for model in claude-sonnet-4-5 gpt-5.2-codex ${GODEX_E2E_CUSTOM_MODEL:-}; do
  # (a)/(b) a plain answer
  run_claude "plain-$model" "$model" "Say hello to godex"
  if [[ $rc -ne 0 ]]; then report "plain answer on $model" fail "claude exited $rc"
  elif [[ $out != *"godex simulator"* ]]; then report "plain answer on $model" fail "unexpected answer: $out"
  else report "plain answer on $model" ok; fi

  # (c) a Bash tool turn: the simulator calls Bash with the backticked command; only running it produces 42.
  run_claude "bash-$model" "$model" 'Use the Bash tool to run `echo godex-$((6*7))` and tell me what it printed.' --allowedTools "Bash(echo:*)"
  if [[ $rc -ne 0 ]]; then report "Bash tool turn on $model" fail "claude exited $rc"
  elif [[ $out != *"godex-42"* ]]; then report "Bash tool turn on $model" fail "the command's output never came back: $out"
  else report "Bash tool turn on $model" ok; fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
