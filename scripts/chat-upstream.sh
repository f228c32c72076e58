# Sourced by the real-client scripts: OpenAI-compatible backends for godex to route to. Starts the built-in
# simulator on its own loopback port and writes a config with two custom backends on its chat upstreams, beside the
# default Codex and Anthropic routes: `sim` for gpt-4.1 (/openai/v1, shaped as OpenAI's) and `quirky` for gpt-4o
# (/quirky/v1: tool calls whole in the finishing chunk, without ids, usage on that chunk).
#   start_chat_upstream BIN DIR   sets chat_upstream_pid and chat_upstream_config (DIR/config.yaml)
#   stop_chat_upstream
chat_upstream_model=gpt-4o
chat_upstream_openai_model=gpt-4.1

start_chat_upstream() {
  local bin=$1 dir=$2 sim_port
  sim_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "$bin" simulate --listen "127.0.0.1:$sim_port" --chat-key sk-chat-upstream >"$dir/chat-upstream.log" 2>&1 &
  chat_upstream_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$sim_port/quirky/v1/models" >/dev/null 2>&1 && break
    sleep 0.1
  done
  chat_upstream_config="$dir/config.yaml"
  cat >"$chat_upstream_config" <<YAML
proxy:
  backends:
    custom:
      sim:
        type: openai
        base_url: http://127.0.0.1:$sim_port/openai/v1
        auth: {type: api_key, key_env: GODEX_E2E_CHAT_KEY}
      quirky:
        type: openai
        base_url: http://127.0.0.1:$sim_port/quirky/v1
        auth: {type: bearer, key: \$GODEX_E2E_CHAT_KEY}
routing:
  patterns:
    sim: ["$chat_upstream_openai_model"]
    quirky: ["$chat_upstream_model"]
    codex: ["gpt-", "o1", "o3", "o4", "codex-", "chatgpt-"]
    anthropic: ["claude-", "sonnet", "opus", "haiku"]
YAML
  export GODEX_E2E_CHAT_KEY=sk-chat-upstream
}

stop_chat_upstream() {
  if [[ -n ${chat_upstream_pid:-} ]]; then kill "$chat_upstream_pid" 2>/dev/null || true; wait "$chat_upstream_pid" 2>/dev/null || true; fi
}
