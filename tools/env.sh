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
