#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
source tools/env.sh
t0=$SECONDS
step() { echo; echo "=== $* (+$((SECONDS - t0))s)"; }

step "format"
cargo fmt --all --check
step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --features native --locked -- -D warnings
step "clippy (wasm32)"
cargo clippy -p pilot-connect --target wasm32-unknown-unknown --all-targets --features fetch --locked -- -D warnings

step "core + sandbox tests (native)"
cargo test --workspace --features native --locked
step "core tests compiled to wasm32, in Node"
cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked
step "core tests compiled to wasm32, in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked

step "all green"
