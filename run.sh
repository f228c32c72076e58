#!/usr/bin/env bash
# Builds the native godex binary (Native AOT) when the sources changed, then runs it.
# With no arguments it starts the proxy on 127.0.0.1:39001; without a Codex or Claude login it serves from the
# built-in simulator and says so in its startup log. Any arguments are passed to godex (e.g. ./run.sh --help).
set -euo pipefail
cd "$(dirname "$0")"
bin=artifacts/publish/Godex.Cli/release/godex
stamp=artifacts/publish/.godex-sources
sources=$(find src Directory.Build.props Directory.Packages.props global.json -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' \) -newer "$stamp" 2>/dev/null | head -1 || true)
if [[ ! -x "$bin" || ! -f "$stamp" || -n "$sources" ]]; then
  scripts/publish.sh >&2
  touch "$stamp"
fi
if [[ $# -eq 0 ]]; then set -- proxy; fi
exec "$bin" "$@"
