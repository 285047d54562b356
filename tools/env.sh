# Source from the repository root: puts the pinned tools first and stops tools from downloading.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"   # node 22, wasm-opt 132
export WASM_BINDGEN_BIN="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"          # worker-build: no download
export WASM_OPT_BIN="$_root/node_modules/.bin/wasm-opt"                         # never Debian's binaryen 108
export ESBUILD_BIN="$_root/node_modules/@esbuild/linux-x64/bin/esbuild"
export CHROMEDRIVER=/usr/bin/chromedriver                                       # not a geckodriver on PATH
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
unset _root
# Section headers with the elapsed time, for the long scripts (test.sh, bench.sh).
_step_t0=$SECONDS
step() { echo; echo "=== $* (+$((SECONDS - _step_t0))s)"; }

# The wasm half of an npm package (tools/build-widget.sh, tools/build-server.sh): builds crate $1
# for wasm32 (release), runs wasm-bindgen --target web into $2 as $3.js + $3_bg.wasm, then wasm-opt
# (npm binaryen) with the features Rust's wasm target emits. Extra flags: $WASM_BINDGEN_FLAGS,
# $WASM_OPT_FLAGS (default -Oz).
build_wasm() {
  local crate=$1 out=$2 name=$3
  cargo build -q --locked --release --target wasm32-unknown-unknown -p "$crate"
  rm -rf "$out" && mkdir -p "$out"
  # shellcheck disable=SC2086 # the flag lists are meant to split
  wasm-bindgen --target web ${WASM_BINDGEN_FLAGS:-} --out-dir "$out" --out-name "$name" \
    "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/${crate//-/_}.wasm"
  rm -f "$out/${name}_bg.wasm.d.ts"
  # shellcheck disable=SC2086
  wasm-opt ${WASM_OPT_FLAGS:--Oz} --enable-reference-types --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --strip-debug \
    --strip-producers "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
}

# The size of package dir $1, each file gzipped on its own (zlib -9, as a server sends it): sets
# PKG_SIZE ("wasm R B (gzip G B) + JS R B (gzip G B) = gzip T B") and PKG_GZIP (T).
package_size() {
  local wasm js
  read -r -a wasm <<<"$(node tools/gzip-size.mjs "$1"/*.wasm)"
  read -r -a js <<<"$(node tools/gzip-size.mjs "$1"/*.js)"
  PKG_GZIP=$((wasm[1] + js[1]))
  PKG_SIZE="wasm ${wasm[0]} B (gzip ${wasm[1]} B) + JS ${js[0]} B (gzip ${js[1]} B) = gzip ${PKG_GZIP} B"
}

# Fails unless tarball $1 carries both licence files (every manifest says "MIT OR Apache-2.0").
pkg_has_licences() {
  local f listing
  listing=$(tar -tzf "$1")
  for f in LICENSE-MIT LICENSE-APACHE; do
    grep -qx "package/$f" <<<"$listing" || { echo "$1 lacks $f" >&2; return 1; }
  done
}

# The packed npm packages (tools/build-server.sh, tools/build-widget.sh) and the fresh test apps
# that install them (tools/*-app-install.sh). Paths are relative to the repository root.
# The version every npm package (pilot-connect-server, -widget, -edge) is packed at: the
# workspace's one version (Cargo.toml [workspace.package]). $1 is accepted for the callers' sake.
pkg_version() {
  awk -F'"' '/^\[workspace.package\]/{w=1} w && /^version = /{print $2; exit}' Cargo.toml
}
# The tarball of npm package $1 that its build script leaves in target/.
pkg_tarball() { echo "target/$1-$(pkg_version "$1").tgz"; }

# Installs the test app in directory $1 as a user would: its dependencies from its lockfile with
# `npm $2` (`ci`; `install` where the registry lacks foreign-platform builds the lockfile lists),
# skipped while the lockfile is unchanged, then the freshly packed tarballs of npm packages $3…
# (`--no-save`: the app's package.json and lockfile stay as committed).
install_app() {
  local app=$1 mode=$2 p want tgz=()
  shift 2
  for p in "$@"; do
    tgz+=("$PWD/$(pkg_tarball "$p")")
    [ -f "${tgz[-1]}" ] || { echo "install_app: ${tgz[-1]} is missing (tools/build-${p#pilot-connect-}.sh makes it)" >&2; return 1; }
  done
  want=$(sha256sum "$app/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$app/node_modules/.pilot-lock-sha" 2>/dev/null)" != "$want" ]; then
    (cd "$app" && npm "$mode" --no-fund --no-audit --loglevel=error)
    mkdir -p "$app/node_modules" # an app whose only dependency is the packed tarball has none yet
    echo "$want" >"$app/node_modules/.pilot-lock-sha"
  fi
  # Removed first: npm keeps an installed package of the same name and version (the old bytes).
  for p in "$@"; do rm -rf "${app:?}/node_modules/$p"; done
  (cd "$app" && npm install --no-save --no-fund --no-audit --loglevel=error "${tgz[@]}")
}
