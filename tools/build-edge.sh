#!/usr/bin/env bash
# Assembles the pilot-connect-edge npm package: worker-build's output of worker/ (its glue and
# its wasm, from one build: worker/build, made by `need worker` in tools/test.sh or by
# `cd worker && worker-build --release`) with pkg-templates/edge, packed into target/. Fails when
# the build is missing or older than the worker's sources, and when the tarball's files differ
# from pkg-templates/edge/FILES.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
out=target/edge-pkg
version=$(pkg_version pilot-connect-edge)
tgz="target/pilot-connect-edge-${version}.tgz"

for f in worker/build/index.js worker/build/index_bg.wasm; do
  [ -f "$f" ] || { echo "build-edge: $f is missing: run 'cd worker && worker-build --release' first" >&2; exit 1; }
done
newer=$(find worker/src src wire/src worker/Cargo.toml -newer worker/build/index_bg.wasm -name '*.rs' -o -newer worker/build/index_bg.wasm -name Cargo.toml | head -1)
[ -z "$newer" ] || { echo "build-edge: worker/build is older than $newer: rebuild it first" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/worker"
# Copied, not pointed at: worker-build writes build/.gitignore ("*"), which npm would honour.
cp worker/build/index.js worker/build/index_bg.wasm "$out/worker/"
cp pkg-templates/edge/index.js pkg-templates/edge/index.d.ts pkg-templates/edge/README.md LICENSE-MIT LICENSE-APACHE "$out/"
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-templates/edge/package.json > "$out/package.json"
rm -f "$tgz"
(cd "$out" && npm pack --silent --pack-destination .. >/dev/null)
pkg_has_licences "$tgz"
if ! diff <(tar -tzf "$tgz" | sed 's|^package/||' | sort) <(sort pkg-templates/edge/FILES) >&2; then
  echo "build-edge: $tgz does not hold exactly pkg-templates/edge/FILES (< tarball, > list)" >&2
  exit 1
fi
echo "edge package: wasm $(stat -c %s "$out/worker/index_bg.wasm") B, $(stat -c %s "$tgz") B packed"
echo "package: $tgz"
