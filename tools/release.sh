#!/usr/bin/env bash
# Builds every release artefact from a clean clone of HEAD and checks it — the release's own
# script, not part of the test command (which runs the cheap checks: tests/release).
#
#   bash tools/release.sh            check; artefacts in target/release/<version>/
#
# In order: a clean clone (uncommitted changes are not released); the three npm packages built
# twice and compared byte for byte; `npm publish --dry-run` and publint on each tarball;
# `cargo publish --dry-run` for pilot-connect-wire and pilot-connect together; the release
# checks (tests/release). The widget's tarball is kept as tests/fixtures/releases/ fixture (commit
# it with the release: the next release's edge must serve it).
#
# Release checklist (by hand, after this script):
#   1. The changelog: the version's section dated, an empty "Unreleased" above it.
#   2. The links (`repository`, `homepage`, `bugs` in every package.json and the crates) wait for
#      the project's public home: add them then, and the "Deploy to Cloudflare" button.
#   3. Tag `v<version>`, `npm publish` each tarball of target/release/<version>/, `cargo publish`
#      pilot-connect-wire then pilot-connect.
#   4. Then, with pilot-connect-edge on the registry, commit templates/pilot-connect-edge's
#      package-lock.json (`npm install --package-lock-only` there): before, npm cannot resolve it.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
version=$(pkg_version)
out="$PWD/target/release/$version"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT

git diff --quiet HEAD || echo "release: uncommitted changes are left out (a clean clone of HEAD is built)" >&2
git clone -q . "$src"
# The clone shares this checkout's installed tools (node_modules) and build cache (target/).
ln -s "$PWD/node_modules" "$src/node_modules"
export CARGO_TARGET_DIR="$PWD/target/release-build"

build() { # $1: where the three tarballs go
  (cd "$src" && rm -rf worker/build && (cd worker && worker-build --release >/dev/null) \
    && bash tools/build-edge.sh >/dev/null && bash tools/build-widget.sh >/dev/null && bash tools/build-server.sh >/dev/null)
  mkdir -p "$1"
  for p in pilot-connect-widget pilot-connect-server pilot-connect-edge; do
    cp "$src/target/$p-$version.tgz" "$1/"
  done
}

step "release $version: build (1 of 2)"
build "$out"
step "release $version: build (2 of 2), compared byte for byte"
build "$out/again"
for f in "$out"/*.tgz; do
  cmp "$f" "$out/again/$(basename "$f")" || { echo "release: $(basename "$f") differs between two builds" >&2; exit 1; }
done
rm -rf "$out/again"

step "npm publish --dry-run and publint"
for f in "$out"/*.tgz; do
  npm publish --dry-run --loglevel=warn "$f" 2>&1 | grep -E "name:|version:|total files:" || true
  npx --yes publint@0.3.12 --strict "$f"
done

step "cargo publish --dry-run (pilot-connect-wire, pilot-connect)"
# cargo verifies pilot-connect against the wire crate it is about to publish, as a registry
# crate keyed by version only: an earlier dry run's unpacked copy, or its build in a shared
# target directory, would stand in for today's sources. A fresh target directory, no old copy.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/pilot-connect-wire-"$version"
(cd "$src" && CARGO_TARGET_DIR="$src/target-publish" cargo publish --dry-run --locked -p pilot-connect-wire -p pilot-connect)

step "release checks (tests/release)"
(cd "$src" && mkdir -p target && cp "$out"/*.tgz target/ && node --test tests/release/*.test.mjs)

fixture="tests/fixtures/releases/pilot-connect-widget-$version.tgz"
if [ ! -f "$fixture" ]; then
  mkdir -p tests/fixtures/releases && cp "$out/pilot-connect-widget-$version.tgz" "$fixture"
  echo "release: kept $fixture (commit it with the release)"
fi
step "release $version: ready in $out"
