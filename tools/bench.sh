#!/usr/bin/env bash
# The bench command: sizes (+ twiggy), worker overhead and throughput vs a JS worker baseline,
# time to QR and widget soak in Chromium, criterion benches, bounded fuzzing, worker soak.
# Writes bench/REPORT.md and bench/report.json. Not part of the test command (~15 min).
# Knobs: BENCH_FUZZ_SECONDS (per target, default 60), BENCH_LATENCY_N, BENCH_ROUNDS,
# BENCH_THROUGHPUT_N, BENCH_SOAK_N, BENCH_TTQ_COLD, BENCH_TTQ_WARM, BENCH_WIDGET_SOAK_S.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
source tools/env.sh
out=target/bench
rm -rf "$out" target/criterion && mkdir -p "$out"

step "bench tools (pinned; installed once)"
need() { # binary, version, crate
  if ! "$1" --version 2>/dev/null | grep -q "$2"; then cargo install --locked --version "$2" "$3"; fi
}
need twiggy 0.8.0 twiggy
need oha 1.16.0 oha
if ! cargo fuzz --version 2>/dev/null | grep -q 0.13.2; then cargo install --locked --version 0.13.2 cargo-fuzz; fi
# libFuzzer instrumentation needs nightly flags: the nightly toolchain when present, else
# stable with RUSTC_BOOTSTRAP (same flags, no download).
if rustup run nightly rustc -V >/dev/null 2>&1; then fuzz=(cargo +nightly fuzz); else fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz); fi

step "build: release sandbox, worker, widget package, server package"
cargo build -q --locked --release -p pilot-sandbox
(cd worker && worker-build --release >"../$out/worker-build.log" 2>&1) || { cat "$out/worker-build.log"; exit 1; }
bash tools/build-widget.sh | tee "$out/widget-size.txt"
bash tools/build-server.sh | tee "$out/server-size.txt"
rm -rf target/worker-dist
(cd worker && npx wrangler deploy --dry-run --outdir ../target/worker-dist 2>&1 | grep -E "Total Upload" | tee "../$out/wrangler-size.txt")

step "twiggy: what dominates each wasm (names kept only for this analysis)"
names() { # wasm-bindgen output → wasm-opt -Oz -g (as shipped, but with the name section)
  local src=$1 dst=$2 tmp; tmp=$(mktemp -d)
  wasm-bindgen --target web --no-typescript --out-dir "$tmp" --out-name m "$src"
  wasm-opt -g -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$tmp/m_bg.wasm" -o "$dst"
  rm -rf "$tmp"
}
names target/wasm32-unknown-unknown/release/pilot_connect_widget.wasm "$out/widget-names.wasm"
names target/wasm32-unknown-unknown/release/pilot_connect_worker.wasm "$out/worker-names.wasm"
twiggy top --format json -n 100000 "$out/widget-names.wasm" >"$out/twiggy-widget.json"
twiggy top --format json -n 100000 "$out/worker-names.wasm" >"$out/twiggy-worker.json"
twiggy top -n 15 "$out/widget-names.wasm"

step "core: criterion benches (native)"
cargo bench --locked --bench core 2>&1 | grep -E "time:|^[a-z_]+/" | tee "$out/criterion.txt"

step "worker: latency, throughput and soak vs direct upstream and the JS baseline (workerd)"
node bench/load.mjs

step "live edge: scan → connected (push vs polling) and upstream calls per minute with 1/5/20 tabs"
node bench/live.mjs

step "webhook topologies: scan → connected side by side / relay / edge in front, forward latency and throughput"
node bench/topologies.mjs

step "edge package: upload and first answer (worker-build vs standalone vs mounted), a fresh no-Rust project"
bash tools/build-edge.sh >/dev/null
source tools/env.sh && install_app tests/edge-app ci pilot-connect-edge && bash tools/recipe-apps-install.sh worker
node bench/edge.mjs

step "widget: time to QR and soak in headless Chromium"
node bench/browser.mjs

step "fuzzing: ${BENCH_FUZZ_SECONDS:-60} s per target"
node bench/fuzz-seeds.mjs
: >"$out/fuzz.txt"
fuzz_failed=0
for target in responses webhook connect_token request_inputs; do
  log="$out/fuzz-$target.log"
  status=ok
  (cd fuzz && "${fuzz[@]}" run -O "$target" "../target/fuzz-corpus/$target" -- \
      -max_total_time="${BENCH_FUZZ_SECONDS:-60}" -print_final_stats=1 -rss_limit_mb=2048) >"$log" 2>&1 || status=CRASH
  runs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | grep -oE "[0-9]+$" || echo 0)
  secs=$(grep -oE "Done [0-9]+ runs in [0-9]+ second" "$log" | grep -oE "in [0-9]+" | grep -oE "[0-9]+" || echo 0)
  echo "$target ${runs:-0} ${secs:-0} $status" | tee -a "$out/fuzz.txt"
  if [ "$status" != ok ]; then fuzz_failed=1; tail -40 "$log"; ls fuzz/artifacts/"$target" || true; fi
done

step "report"
node bench/report.mjs
echo
echo "bench/REPORT.md written (+$((SECONDS - _step_t0))s)"
if [ "$fuzz_failed" = 1 ]; then echo "a fuzz target crashed: turn the artifact into a regression test" >&2; exit 1; fi
