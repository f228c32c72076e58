#!/usr/bin/env python3
"""Writes the ~100 KB requests of scenario (f): 40 turns of history (with tool calls and results) and 24 tools.
Usage: gen-large.py OUTDIR  ->  OUTDIR/chat-large.json (for a gateway), OUTDIR/anthropic-large.json (direct)."""
import json
import sys

out = sys.argv[1]
para = ("The build failed in the linker step because the native toolchain was missing a library; "
        "after installing it the tests passed, but two of them were slow on the shared machine. ")
tools = []
for i in range(24):
    tools.append({"type": "function", "function": {
        "name": f"tool_{i:02d}",
        "description": f"Tool number {i}: " + para * 3,
        "parameters": {"type": "object", "properties": {
            "path": {"type": "string", "description": "A file path relative to the work dir."},
            "pattern": {"type": "string", "description": "A pattern to look for."},
            "limit": {"type": "integer", "description": "At most this many results."}},
            "required": ["path"]}}})
chat = [{"role": "system", "content": "You are a careful coding agent. " + para * 4}]
anthropic = []
for turn in range(40):
    user = f"Turn {turn}: please look at file src/module_{turn}.cs and tell me what it does. " + para * 2
    chat.append({"role": "user", "content": user})
    anthropic.append({"role": "user", "content": user})
    call_id = f"call_{turn:04d}"
    args = json.dumps({"path": f"src/module_{turn}.cs", "limit": 20})
    chat.append({"role": "assistant", "content": "Let me read it.",
                 "tool_calls": [{"id": call_id, "type": "function",
                                 "function": {"name": f"tool_{turn % 24:02d}", "arguments": args}}]})
    anthropic.append({"role": "assistant", "content": [
        {"type": "text", "text": "Let me read it."},
        {"type": "tool_use", "id": call_id, "name": f"tool_{turn % 24:02d}", "input": json.loads(args)}]})
    result = f"// module {turn}\n" + para * 3
    chat.append({"role": "tool", "tool_call_id": call_id, "content": result})
    anthropic.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": result}]})
chat.append({"role": "user", "content": "Say hello"})
anthropic.append({"role": "user", "content": "Say hello"})
chat_body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": chat, "tools": tools}
anthropic_body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": chat[0]["content"],
                  "messages": anthropic,
                  "tools": [{"name": t["function"]["name"], "description": t["function"]["description"],
                             "input_schema": t["function"]["parameters"]} for t in tools]}
with open(f"{out}/chat-large.json", "w") as f:
    json.dump(chat_body, f, separators=(",", ":"))
with open(f"{out}/anthropic-large.json", "w") as f:
    json.dump(anthropic_body, f, separators=(",", ":"))
