#!/usr/bin/env bash
# Builds the core for JavaScript servers (server/ → wasm), runs wasm-bindgen + wasm-opt (npm
# binaryen), assembles the npm package from pkg-templates/server into target/server-pkg, packs it
# and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
out=target/server-pkg
version=$(awk -F'"' '/^version = /{print $2; exit}' server/Cargo.toml)

cargo build -q --locked --release --target wasm32-unknown-unknown -p pilot-connect-server
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name pilot_connect_server \
  target/wasm32-unknown-unknown/release/pilot_connect_server.wasm
wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --strip-debug --strip-producers \
  "$out/pilot_connect_server_bg.wasm" -o "$out/pilot_connect_server_bg.wasm"
cp pkg-templates/server/*.js pkg-templates/server/*.d.ts pkg-templates/server/README.md "$out/"
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-templates/server/package.json > "$out/package.json"
(cd "$out" && npm pack --silent --pack-destination .. >/dev/null)

gz() { gzip -9c "$1" | wc -c; }
wasm_raw=$(wc -c < "$out/pilot_connect_server_bg.wasm"); wasm_gz=$(gz "$out/pilot_connect_server_bg.wasm")
js_raw=$(cat "$out"/*.js | wc -c); js_gz=$(cat "$out"/*.js | gzip -9c | wc -c)
echo "server package size: wasm ${wasm_raw} B (gzip ${wasm_gz} B) + JS ${js_raw} B (gzip ${js_gz} B) = gzip $((wasm_gz + js_gz)) B"
echo "package: target/pilot-connect-server-${version}.tgz"
