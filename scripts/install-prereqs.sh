#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test godex: the native toolchain Native AOT links with,
# the PostgreSQL server and nginx the several-instances tests run, Prometheus for the metrics tests and Chromium for
# the dashboard's browser tests.
# Idempotent and quiet when everything is there.
set -euo pipefail
missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[[ -e /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
# SQLite is linked statically into the binary (see src/Godex.Cli/Godex.Cli.csproj).
[[ -e /usr/lib/x86_64-linux-gnu/libsqlite3.a ]] || missing+=(libsqlite3-dev)
# The several-instances tests and the PostgreSQL benchmarks start their own throwaway server (scripts/pg-temp.sh)
# behind nginx. Without them the build still works: those phases then fail, each with one line saying what is missing.
for_tests=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || for_tests+=(postgresql)
command -v psql >/dev/null 2>&1 || for_tests+=(postgresql-client)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || for_tests+=(nginx)
# The metrics tests validate /metrics with promtool and scrape it with a real Prometheus server (both in this package).
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || for_tests+=(prometheus)
# test.sh counts the generic types a start still builds at run time under gdb (bench/runtime-generic-types.sh).
command -v gdb >/dev/null 2>&1 || for_tests+=(gdb)
# The dashboard tests drive a real headless Chromium (Playwright with executablePath; it downloads no browser).
[[ -x /usr/bin/chromium ]] || for_tests+=(chromium)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
if [[ ${#for_tests[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${for_tests[*]}" >&2
  if ! { $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${for_tests[@]}" >&2; }; then
    echo "warning: could not install ${for_tests[*]}: the several-instances, metrics or dashboard tests will fail" >&2
  fi
fi
