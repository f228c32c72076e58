#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: initdb on DIR, 127.0.0.1 and a free port only, password
# (SCRAM) auth for the superuser "godex", and an empty database "godex". As root the server runs as the "postgres"
# system user (PostgreSQL refuses to run as root). scripts/install-prereqs.sh installs the server package.
#   scripts/pg-temp.sh start DIR [--fast]   prints postgres://godex:PASSWORD@127.0.0.1:PORT/godex (also in DIR/url)
#   scripts/pg-temp.sh stop DIR
# --fast turns fsync off (tests: nothing here survives a power cut anyway); benchmarks run without it.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "PostgreSQL server not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-prereqs.sh (apt package postgresql)" >&2
  exit 1
fi
as=()
if [[ $(id -u) -eq 0 ]]; then as=(runuser -u postgres --); fi
case $cmd in
  start)
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/pwfile"
    if [[ $(id -u) -eq 0 ]]; then
      chown -R postgres "$dir"
      # The server runs as "postgres": it must reach DIR through a temp parent that mktemp made root-only.
      parent=$(dirname "$(realpath "$dir")")
      runuser -u postgres -- test -x "$parent" || chmod o+x "$parent"
    fi
    extra=""
    if [[ ${3:-} == --fast ]]; then extra="-c fsync=off -c full_page_writes=off"; fi
    "${as[@]}" "$bindir/initdb" -D "$dir/data" -U godex --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { echo "initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; exit 1; }
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 $extra" start >/dev/null \
      || { echo "PostgreSQL did not start:" >&2; tail -5 "$dir/server.log" >&2; exit 1; }
    PGPASSWORD=$password psql -qX -h 127.0.0.1 -p "$port" -U godex -d postgres -c 'CREATE DATABASE godex' >/dev/null
    echo "postgres://godex:$password@127.0.0.1:$port/godex" | tee "$dir/url"
    ;;
  stop)
    [[ -d $dir/data ]] && "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR [--fast]" >&2; exit 2 ;;
esac
