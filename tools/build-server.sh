#!/usr/bin/env bash
# Builds the core for JavaScript servers (server/ → wasm), runs wasm-bindgen + wasm-opt (npm
# binaryen), assembles the npm package from pkg-templates/server into target/server-pkg, packs it
# and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
out=target/server-pkg
version=$(pkg_version pilot-connect-server)

WASM_BINDGEN_FLAGS=--no-typescript build_wasm pilot-connect-server "$out" pilot_connect_server
cp pkg-templates/server/*.js pkg-templates/server/*.d.ts pkg-templates/server/README.md LICENSE-MIT LICENSE-APACHE "$out/"
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-templates/server/package.json > "$out/package.json"
(cd "$out" && npm pack --silent --pack-destination .. >/dev/null)
pkg_has_licences "target/pilot-connect-server-${version}.tgz"

package_size "$out"
echo "server package size: $PKG_SIZE"
echo "package: target/pilot-connect-server-${version}.tgz"
