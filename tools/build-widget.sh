#!/usr/bin/env bash
# Builds the widget wasm, runs wasm-bindgen + wasm-opt (npm binaryen), assembles the npm package
# from pkg-templates/widget/ into target/widget-pkg, minifies the JS, packs it, and prints the size report.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
out=target/widget-pkg
version=$(pkg_version pilot-connect-widget)

# No wasm-bindgen TypeScript: its .d.ts exposes free() and Symbol.dispose; the package ships
# pkg-templates/widget/types.d.ts, generated from the Rust lists and checked by a native test.
# --low-memory-unused: Rust's stack sits below 1 MiB, so the low 1 KiB is never data.
WASM_BINDGEN_FLAGS="--no-typescript" WASM_OPT_FLAGS="--low-memory-unused -Oz --converge" \
  build_wasm pilot-connect-widget "$out" pilot_connect
# Short import/export names in the wasm and the glue together (checked, fails on a glue it does not know).
node tools/minify-wasm-names.mjs "$out/pilot_connect_bg.wasm" "$out/pilot_connect.js"
cp pkg-templates/widget/*.js pkg-templates/widget/*.d.ts pkg-templates/widget/README.md LICENSE-MIT LICENSE-APACHE "$out/"
# Ship minified ES modules (the glue is 36 KB of readable JS; plain-HTML users get no bundler).
# The glue is bundled with its snippet (widget/src/page.js, the driver's JS leaf operations): one file.
# (wasm-bindgen repeats the snippet module's key in its imports object, once per namespace import of
# the same module; esbuild's duplicate-key warning about it is silenced, nothing else.)
"$ESBUILD_BIN" --bundle --minify --format=esm --log-level=warning --log-override:duplicate-object-key=silent "$out/pilot_connect.js" \
  --outfile="$out/pilot_connect.js" --allow-overwrite
rm -rf "$out/snippets"
for f in "$out"/*.js; do
  [ "$f" = "$out/pilot_connect.js" ] && continue
  "$ESBUILD_BIN" --minify --format=esm --log-level=warning "$f" --outfile="$f" --allow-overwrite
done
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-templates/widget/package.json > "$out/package.json"
(cd "$out" && npm pack --silent --pack-destination .. >/dev/null)
pkg_has_licences "target/pilot-connect-widget-${version}.tgz"

# The core widget is what every page loads (the entry, the element, the glue, the wasm); the React
# entry is measured on its own (only React pages load it, on top of the core).
mkdir -p "$out/.core" && cp "$out"/*.wasm "$out/index.js" "$out/element.js" "$out/pilot_connect.js" "$out/.core/"
package_size "$out/.core"
rm -rf "$out/.core"
total=$PKG_GZIP
echo "widget size: $PKG_SIZE"
if [ -f "$out/react.js" ]; then
  read -r -a react <<<"$(node tools/gzip-size.mjs "$out/react.js")"
  echo "widget React entry (react.js, on top of the core): ${react[0]} B (gzip ${react[1]} B)"
fi
# Size gate: what a page loads may not grow past the recorded budget (widget/SIZE_BUDGET; its
# history and the cost of each feature that moved it are in bench/REPORT.md).
budget=$(tr -dc 0-9 < widget/SIZE_BUDGET)
if [ "$total" -gt "$budget" ]; then
  echo "widget size gate: ${total} B gzip is over the budget of ${budget} B (widget/SIZE_BUDGET)" >&2
  exit 1
fi
echo "widget size gate: ${total} B <= budget ${budget} B"
echo "package: target/pilot-connect-widget-${version}.tgz"
