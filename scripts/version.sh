#!/usr/bin/env bash
# Prints the version of the checked-out commit (docs/versioning in CHANGELOG.md):
#   on a release tag vX.Y.Z           -> X.Y.Z
#   N commits after the tag vX.Y.Z     -> X.Y.Z-N-gSHA   (git describe; a SemVer pre-release of X.Y.Z's successor line)
#   before any tag                     -> <VersionPrefix of Directory.Build.props>-dev-gSHA
#   uncommitted changes                -> ...-dirty
# Outside a git checkout (a source tarball) -> <VersionPrefix>-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(sed -n 's|.*<VersionPrefix>\(.*\)</VersionPrefix>.*|\1|p' Directory.Build.props)
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "$prefix-dev"; exit 0
fi
if described=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --dirty 2>/dev/null); then
  echo "${described#v}"
else
  echo "$prefix-dev-g$(git rev-parse --short=7 HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty)"
fi
