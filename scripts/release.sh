#!/usr/bin/env bash
# `make release`: the release archives of the checked-out commit, in artifacts/release/ (`scripts/release.sh RID...`
# builds only the given ones, e.g. `scripts/release.sh linux-x64`, as scripts/check-reproducible.sh does):
#   godex-VERSION-linux-x64.tar.gz     Native AOT, SQLite linked in
#   godex-VERSION-linux-arm64.tar.gz   Native AOT, cross-compiled (Debian's arm64 cross toolchain, installed here
#                                      when missing); if that toolchain cannot be had, a self-contained single-file
#                                      build instead (BUILD-NOTES says which)
#   SHA256SUMS, BUILD-NOTES
# VERSION comes from the git tag (scripts/version.sh). The build is reproducible: the same commit gives the same
# bytes from any checkout path (scripts/check-reproducible.sh checks it). ContinuousIntegrationBuild maps source paths
# to /_/; DebugType=none because the .NET 10 logging source generator writes its classes in a different order on
# each run (dotnet/runtime#119587, fixed in .NET 11): the IL is the same, but the PDBs that embed the generated text
# differ, and with them the assemblies' MVIDs (compiled into the binary), the native line tables, the linker's
# build-id and the debug-link checksum. A release binary therefore carries no debug symbols (`make build` keeps them
# in godex.dbg). Archives carry the commit's time and no owner. Fails on any trim/AOT warning, as publish.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
rids=("$@")
[[ ${#rids[@]} -gt 0 ]] || rids=(linux-x64 linux-arm64)
for rid in "${rids[@]}"; do
  [[ $rid == linux-x64 || $rid == linux-arm64 ]] || { echo "release.sh: unknown RID $rid (linux-x64 or linux-arm64)" >&2; exit 2; }
done
scripts/install-prereqs.sh
version=$(scripts/version.sh)
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
out=artifacts/release
work=artifacts/release-work
rm -rf "$out" "$work"
mkdir -p "$out" "$work"
notes="$out/BUILD-NOTES"
echo "godex $version, commit $(git rev-parse HEAD 2>/dev/null || echo unknown), built $(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" >"$notes"

# Installs Debian's arm64 cross toolchain (what Native AOT links an arm64 binary with) when it is missing.
arm64_toolchain() {
  if command -v aarch64-linux-gnu-objcopy >/dev/null && [[ -e /usr/lib/aarch64-linux-gnu/libz.a && -e /usr/lib/aarch64-linux-gnu/libsqlite3.a && -e /usr/lib/aarch64-linux-gnu/crt1.o ]]; then
    return 0
  fi
  command -v apt-get >/dev/null || return 1
  local sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  echo "installing the arm64 cross toolchain (gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu, zlib1g-dev:arm64, libsqlite3-dev:arm64)" >&2
  $sudo dpkg --add-architecture arm64 &&
    $sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu zlib1g-dev:arm64 libsqlite3-dev:arm64 >&2
}

# publish RID DIR [extra msbuild args...]: fails on any warning of the kinds scripts/publish.sh rejects.
publish() {
  local rid=$1 dir=$2 log; shift 2
  log=$(mktemp)
  if ! dotnet publish src/Godex.Cli -c Release -r "$rid" -o "$dir" \
      -p:Version="$version" -p:ContinuousIntegrationBuild=true -p:Deterministic=true -p:DebugType=none "$@" 2>&1 | tee "$log"; then
    rm -f "$log"; return 1
  fi
  if grep -qE 'warning (IL[23][0-9]{3}|CS|CA)' "$log"; then
    echo "publish produced warnings:" >&2; grep -E 'warning (IL[23][0-9]{3}|CS|CA)' "$log" | sort -u >&2; rm -f "$log"; return 1
  fi
  rm -f "$log"
}

# archive RID DIR: godex + LICENSE + README + CHANGELOG, with fixed order, times and owners.
archive() {
  local rid=$1 dir=$2 name="godex-$version-$1"
  mkdir -p "$work/$name"
  cp "$dir/godex" LICENSE README.md CHANGELOG.md "$work/$name/"
  [[ -e "$dir/libe_sqlite3.so" ]] && cp "$dir/libe_sqlite3.so" "$work/$name/"
  touch -d "@$epoch" "$work/$name" "$work/$name"/*
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$work" -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"
}

wants() { [[ " ${rids[*]} " == *" $1 "* ]]; }

if wants linux-x64; then
  publish linux-x64 "$work/bin-linux-x64"
  archive linux-x64 "$work/bin-linux-x64"
  echo "linux-x64: Native AOT" >>"$notes"
fi

if wants linux-arm64; then
  if arm64_toolchain && publish linux-arm64 "$work/bin-linux-arm64" -p:StaticSqlite=/usr/lib/aarch64-linux-gnu/libsqlite3.a; then
    echo "linux-arm64: Native AOT (cross-compiled with Debian's arm64 toolchain)" >>"$notes"
  else
    echo "Native AOT for linux-arm64 is not possible here; building a self-contained single file instead" >&2
    rm -rf "$work/bin-linux-arm64"
    publish linux-arm64 "$work/bin-linux-arm64" -p:PublishAot=false -p:PublishSingleFile=true -p:SelfContained=true \
      -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishTrimmed=true
    echo "linux-arm64: self-contained single file (no arm64 cross toolchain for Native AOT)" >>"$notes"
  fi
  archive linux-arm64 "$work/bin-linux-arm64"
fi

(cd "$out" && sha256sum ./*.tar.gz | sed 's| \./| |' >SHA256SUMS)
[[ -n ${RELEASE_KEEP_WORK:-} ]] || rm -rf "$work"  # kept for scripts/check-reproducible.sh (godex.dbg, to compare)
cat "$notes"
(cd "$out" && ls -l ./*.tar.gz && cat SHA256SUMS)
