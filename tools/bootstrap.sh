#!/usr/bin/env bash
# Installs everything the build and tests need on a fresh Debian machine (root, rustup, npm),
# and skips what is already there. Safe to run again: a warm run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
say() { echo "[bootstrap +$((SECONDS - t0))s] $*"; }

# The wasm-bindgen CLI must equal the crate version in Cargo.lock, byte for byte.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
WORKER_BUILD_VERSION=0.8.7
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

# 1) Debian: Chromium + ChromeDriver for browser tests (never Debian's binaryen: it breaks wasm).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium + chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium chromium-driver
fi

# 2) Rust: the wasm target and CLIs pinned to the lockfile.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
have() { [ -x "$CARGO_BIN/$1" ] && "$CARGO_BIN/$1" --version 2>/dev/null | grep -qw "$2"; }
if ! have wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # No --locked: the crate's own lockfile pins a webpki-roots release the registry lacks.
  cargo install -q --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if ! have worker-build "$WORKER_BUILD_VERSION"; then
  say "installing worker-build $WORKER_BUILD_VERSION (a few minutes)"
  cargo install -q --force --locked worker-build --version "$WORKER_BUILD_VERSION"
fi

# 3) npm: Node 22 (wrangler), workerd, wasm-opt 132, Miniflare 4, playwright-core — from the lockfile.
stamp=node_modules/.pilot-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "npm ci"
  npm ci --no-fund --no-audit --loglevel=error
  echo "$want" > "$stamp"
fi

# 3b) Bun and Deno for the server package's runtime step (tools/runtimes: each npm package
# carries its binary as a per-platform optional dependency; nothing is downloaded elsewhere).
stamp=tools/runtimes/node_modules/.pilot-lock-sha
want=$(sha256sum tools/runtimes/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "npm ci (tools/runtimes: bun, deno)"
  (cd tools/runtimes && npm ci --no-fund --no-audit --loglevel=error)
  echo "$want" > "$stamp"
fi

# 4) Guard the classic failure: every wasm-bindgen piece on one version.
cli=$("$CARGO_BIN/wasm-bindgen" --version | awk '{print $2}')
runner=$("$CARGO_BIN/wasm-bindgen-test-runner" --version | awk '{print $2}')
if [ "$cli" != "$WASM_BINDGEN_VERSION" ] || [ "$runner" != "$WASM_BINDGEN_VERSION" ]; then
  echo "wasm-bindgen mismatch: Cargo.lock $WASM_BINDGEN_VERSION, CLI $cli, test runner $runner" >&2
  exit 1
fi
say "ready (wasm-bindgen $WASM_BINDGEN_VERSION, worker-build $WORKER_BUILD_VERSION, node $(node_modules/.bin/node --version), bun $(tools/runtimes/node_modules/.bin/bun --version), $(tools/runtimes/node_modules/.bin/deno --version | head -1))"
