#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test godex: the native toolchain Native AOT links with,
# and Prometheus for the metrics tests.
# Idempotent and quiet when everything is there.
set -euo pipefail
missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[[ -e /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
# SQLite is linked statically into the binary (see src/Godex.Cli/Godex.Cli.csproj).
[[ -e /usr/lib/x86_64-linux-gnu/libsqlite3.a ]] || missing+=(libsqlite3-dev)
# The metrics tests validate /metrics with promtool and scrape it with a real Prometheus server (both in this package).
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
