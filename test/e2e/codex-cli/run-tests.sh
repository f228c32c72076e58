#!/usr/bin/env bash
# Runs the real Codex CLI (pinned in package-lock.json) against a running godex: plain answers, an exec_command
# tool turn and a freeform apply_patch turn, each on a Codex model and on a Claude model. Needs GODEX_URL
# (http://127.0.0.1:PORT) and `npm ci` done here. Prints one line per case and `N passed, N failed`.
#
# Sandbox: `workspace-write` by default (Codex's Linux sandbox works in this container: Landlock + seccomp);
# set CODEX_SANDBOX_MODE=danger-full-access where the kernel lacks Landlock or user namespaces. approval_policy is
# "never", so a command the sandbox refuses fails the case instead of waiting for an approval nobody gives.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${GODEX_URL:?set GODEX_URL to the godex base URL, e.g. http://127.0.0.1:39001}"
codex="$here/node_modules/.bin/codex"
sandbox=${CODEX_SANDBOX_MODE:-workspace-write}
run_timeout=${CODEX_RUN_TIMEOUT:-120}
# Codex refuses to put its helper binaries under /tmp, so CODEX_HOME lives in the (ignored) artifacts folder.
scratch_root="$(cd "$here/../../.." && pwd)/artifacts/codex-cli-e2e"
mkdir -p "$scratch_root"
scratch=$(mktemp -d "$scratch_root/run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
codex_binary=$(find "$here/node_modules/@openai" -type f -path '*/bin/codex' | head -n 1)
python3 "$here/model-catalog.py" "$codex_binary" "$scratch/models.json" gpt-5.2-codex claude-sonnet-4-5 ${GODEX_E2E_CUSTOM_MODEL:-} || exit 1
passed=0
failed=0

# run_codex NAME MODEL PROMPT: runs one `codex exec` in a fresh CODEX_HOME and work dir. Sets $dir, $rc, $out, $last.
run_codex() {
  local name=$1 model=$2 prompt=$3
  dir="$scratch/$name"
  mkdir -p "$dir/home" "$dir/work"
  sed -e "s|@BASE_URL@|$GODEX_URL/v1|" -e "s|@SANDBOX_MODE@|$sandbox|" -e "s|@MODEL_CATALOG@|$scratch/models.json|" "$here/config.toml.template" >"$dir/home/config.toml"
  local started=$SECONDS
  # Loopback only: any connection Codex tries elsewhere goes to a closed local port and fails at once.
  (cd "$dir/work" && env CODEX_HOME="$dir/home" GODEX_E2E_API_KEY=godex-e2e \
      HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost \
      RUST_LOG=error NO_COLOR=1 \
      timeout "$run_timeout" "$codex" exec --skip-git-repo-check --color never -m "$model" \
        -o "$dir/last-message.txt" "$prompt" </dev/null >"$dir/stdout.txt" 2>"$dir/stderr.txt")
  rc=$?
  elapsed=$((SECONDS - started))
  out=$(cat "$dir/stdout.txt")
  last=$(cat "$dir/last-message.txt" 2>/dev/null || true)
}

# report NAME OK DETAIL
report() {
  if [[ $2 == ok ]]; then
    passed=$((passed + 1)); echo "ok   $1 (${elapsed}s)"
  else
    failed=$((failed + 1)); echo "FAIL $1 (${elapsed}s): $3"
    echo "  --- stdout"; tail -n 20 "$dir/stdout.txt" | sed 's/^/  /'
    echo "  --- stderr"; tail -n 30 "$dir/stderr.txt" | sed 's/^/  /'
  fi
}

# GODEX_E2E_CUSTOM_MODEL: a model of an OpenAI-compatible backend (Responses → Chat Completions), when configured.
for model in gpt-5.2-codex claude-sonnet-4-5 ${GODEX_E2E_CUSTOM_MODEL:-}; do
  # (a) a plain answer
  run_codex "plain-$model" "$model" "Say hello to godex"
  if [[ $rc -ne 0 ]]; then report "plain answer on $model" fail "codex exited $rc"
  elif [[ $last != *"Hello from the godex simulator"* ]]; then report "plain answer on $model" fail "unexpected answer: $last"
  else report "plain answer on $model" ok; fi

  # (b) exec_command: the simulator asks for the backticked command, Codex runs it, turn 2 reports its output.
  # The upper-case text appears only if the command really ran.
  run_codex "exec-$model" "$model" 'run `echo hello-from-godex | tr a-z A-Z`'
  if [[ $rc -ne 0 ]]; then report "exec_command turn on $model" fail "codex exited $rc"
  elif [[ $last != *"Tool exec_command returned:"* || $last != *"HELLO-FROM-GODEX"* ]]; then report "exec_command turn on $model" fail "the command's output is not in the final answer: $last"
  else report "exec_command turn on $model" ok; fi

  # (c) the freeform apply_patch tool: the simulator's patch adds hello.txt, Codex applies it, turn 2 completes.
  run_codex "patch-$model" "$model" "use apply_patch to create hello.txt"
  if [[ $rc -ne 0 ]]; then report "apply_patch turn on $model" fail "codex exited $rc"
  elif [[ "$(cat "$dir/work/hello.txt" 2>/dev/null)" != "hello from godex simulator" ]]; then report "apply_patch turn on $model" fail "hello.txt missing or wrong: $(ls -la "$dir/work")"
  elif [[ $last != *"Tool apply_patch returned:"* ]]; then report "apply_patch turn on $model" fail "turn 2 did not report the patch: $last"
  else report "apply_patch turn on $model" ok; fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
