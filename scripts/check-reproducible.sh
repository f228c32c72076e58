#!/usr/bin/env bash
# Checks that the release build is reproducible (issue 15): builds the linux-x64 release archive of the committed
# HEAD twice, from two checkouts at different paths (git worktrees under a temp directory, removed afterwards), and
# compares the archives byte for byte. On a difference it says which files differ and, for the binary, how many bytes
# and in which ELF sections (readelf), so that the cause can be found.
#
# Two full Native AOT builds, side by side (the machine's cores are the limit either way): see docs/deploy.md for how
# long it takes, too long for ./test.sh; run it before a release. Uncommitted changes are not built (the worktrees check out HEAD).
# Usage: scripts/check-reproducible.sh [--keep]   (--keep leaves the two checkouts for a closer look)
set -euo pipefail
cd "$(dirname "$0")/.."
keep=${1:-}
commit=$(git rev-parse HEAD)
tmp=$(mktemp -d)
a=$tmp/a
b=$tmp/second-checkout-at-a-longer-path
pids=()
cleanup() {
  [[ ${#pids[@]} -eq 0 ]] || kill "${pids[@]}" 2>/dev/null || true
  if [[ $keep == --keep ]]; then echo "kept: $a $b"; return; fi
  git worktree remove --force "$a" 2>/dev/null || true
  git worktree remove --force "$b" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

started=$(date +%s)
for dir in "$a" "$b"; do
  git worktree add --quiet --detach "$dir" "$commit"
  echo "building $commit in $dir"
  (cd "$dir" && RELEASE_KEEP_WORK=1 scripts/release.sh linux-x64 >"$dir/release.log" 2>&1) &
  pids+=($!)
done
for i in 0 1; do
  dir=$a; [[ $i -eq 1 ]] && dir=$b
  if ! wait "${pids[$i]}"; then
    tail -30 "$dir/release.log"; echo "release build failed in $dir"; exit 1
  fi
done
pids=()
elapsed=$(($(date +%s) - started))

archive=$(cd "$a/artifacts/release" && ls ./*.tar.gz | sed 's|^\./||')
if cmp -s "$a/artifacts/release/$archive" "$b/artifacts/release/$archive"; then
  echo "reproducible: $archive is identical from both paths ($(sha256sum "$a/artifacts/release/$archive" | cut -c1-64)), two builds in ${elapsed} s"
  exit 0
fi

echo "NOT reproducible: $archive differs between $a and $b (two builds in ${elapsed} s)"
for dir in "$a" "$b"; do mkdir -p "$dir/unpacked" && tar -xzf "$dir/artifacts/release/$archive" -C "$dir/unpacked"; done
(cd "$a/unpacked" && find . -type f | sort) | while read -r file; do
  cmp -s "$a/unpacked/$file" "$b/unpacked/$file" || echo "differs: $file ($(cmp -l "$a/unpacked/$file" "$b/unpacked/$file" 2>/dev/null | wc -l) bytes)"
done
binary=$(find "$a/unpacked" -type f -name godex | head -1)
other=$b/unpacked/${binary#"$a/unpacked/"}
# Which ELF section holds each differing byte.
cmp -l "$binary" "$other" | python3 -c '
import subprocess, sys
sections = []
for line in subprocess.run(["readelf", "-S", "-W", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    parts = line.replace("[ ", "[").split()
    if len(parts) > 5 and parts[0].startswith("[") and parts[1] != "Name" and parts[2] != "NOBITS":
        try:
            sections.append((parts[1], int(parts[4], 16), int(parts[5], 16)))
        except ValueError:
            pass
counts = {}
for line in sys.stdin:
    offset = int(line.split()[0]) - 1
    name = next((n for n, start, size in sections if start <= offset < start + size), "(outside sections)")
    counts[name] = counts.get(name, 0) + 1
for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
    print(f"  {count:6} bytes in {name}")
' "$binary"
for file in "$binary" "$other"; do
  echo "$file: build-id $(readelf -n "$file" | sed -n 's/.*Build ID: //p' | head -1)"
done
exit 1
