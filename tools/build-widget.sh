#!/usr/bin/env bash
# Builds the widget wasm, runs wasm-bindgen + wasm-opt (npm binaryen), assembles the npm package
# from pkg-templates/ into target/widget-pkg, minifies the JS, packs it, and prints the size report.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
out=target/widget-pkg
version=$(awk -F'"' '/^version = /{print $2; exit}' widget/Cargo.toml)

cargo build -q --locked --release --target wasm32-unknown-unknown -p pilot-connect-widget
rm -rf "$out" && mkdir -p "$out"
# TypeScript on: the messages/state types come from the Rust side (typescript_custom_section).
wasm-bindgen --target web --out-dir "$out" --out-name pilot_connect \
  target/wasm32-unknown-unknown/release/pilot_connect_widget.wasm
rm -f "$out/pilot_connect_bg.wasm.d.ts"
wasm-opt --low-memory-unused -Oz --converge --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --strip-debug --strip-producers \
  "$out/pilot_connect_bg.wasm" -o "$out/pilot_connect_bg.wasm"
# Short import/export names in the wasm and the glue together (checked, fails on a glue it does not know).
node tools/minify-wasm-names.mjs --async-init-only "$out/pilot_connect_bg.wasm" "$out/pilot_connect.js" "$out/pilot_connect.d.ts"
cp pkg-templates/*.js pkg-templates/*.d.ts pkg-templates/README.md "$out/"
# Ship minified ES modules (the glue is 36 KB of readable JS; plain-HTML users get no bundler).
# The glue is bundled with its snippets (the widget's small JS transport): one file, one request.
"$ESBUILD_BIN" --bundle --minify --format=esm --log-level=warning "$out/pilot_connect.js" \
  --outfile="$out/pilot_connect.js" --allow-overwrite
rm -rf "$out/snippets"
for f in "$out"/*.js; do
  [ "$f" = "$out/pilot_connect.js" ] && continue
  "$ESBUILD_BIN" --minify --format=esm --log-level=warning "$f" --outfile="$f" --allow-overwrite
done
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-templates/package.json > "$out/package.json"
(cd "$out" && npm pack --silent --pack-destination .. >/dev/null)

gz() { gzip -9c "$1" | wc -c; }
wasm_raw=$(wc -c < "$out/pilot_connect_bg.wasm"); wasm_gz=$(gz "$out/pilot_connect_bg.wasm")
js_raw=$(cat "$out"/*.js | wc -c); js_gz=$(cat "$out"/*.js | gzip -9c | wc -c)
total=$((wasm_gz + js_gz))
echo "widget size: wasm ${wasm_raw} B (gzip ${wasm_gz} B) + JS ${js_raw} B (gzip ${js_gz} B) = gzip ${total} B"
# Size gate: what a page loads may not grow past the recorded budget (the size reached + 2 %).
budget=$(tr -dc 0-9 < widget/SIZE_BUDGET)
if [ "$total" -gt "$budget" ]; then
  echo "widget size gate: ${total} B gzip is over the budget of ${budget} B (widget/SIZE_BUDGET)" >&2
  exit 1
fi
echo "widget size gate: ${total} B <= budget ${budget} B"
echo "package: target/pilot-connect-widget-${version}.tgz"
