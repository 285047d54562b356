#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every check and test.
#
#   bash tools/test.sh              every stage, in order (what .ci/run runs)
#   bash tools/test.sh STAGE…       only these stages (in the order given), with the builds they need
#   bash tools/test.sh --list       the stages, one a line: name, then what it checks
#
# Each stage names the builds it needs (`need worker widget …`); a build runs at most once per
# invocation, so every wasm is built once however many stages use it.
set -euo pipefail
cd "$(dirname "$0")/.."

# name|what it checks — the order is the order of a full run.
STAGES=(
  "format|cargo fmt --check (workspace and fuzz)"
  "clippy|clippy -D warnings: native all targets, wasm32 core/widget/server/worker, fuzz targets"
  "native|core, sandbox, server bindings, widget and session state machine tests (native)"
  "core-wasm|core tests compiled to wasm32, in Node and in headless Chromium"
  "widget-browser|widget in headless Chromium (wasm-bindgen-test: DOM per state, errors, timers/listeners)"
  "worker|worker built with worker-build, tested in workerd against the sandbox"
  "worker-size|worker upload bundle size (wrangler deploy --dry-run)"
  "edge|edge npm package with no Rust on the PATH: a fresh project from templates/pilot-connect-edge (wrangler types, tsc, deploy --dry-run), wrangler dev + the packed widget in Chromium; stored state read by the installed package"
  "widget-pkg|widget npm package: build, pack, size; the name minifier on the real glue"
  "widget-handle|widget package: the handle and the element on the shipped no_std build (Chromium, workerd, sandbox)"
  "widget-types|widget package types: tsc (skipLibCheck false) per lib ES2020..ESNext, with and without React types"
  "server-pkg|server npm package: build, pack, size"
  "node-app|server package in a fresh Node project: lifecycle, fixtures, errors, tokens, webhooks, secrets; its types"
  "runtimes|server package on the machine's own Node, Bun and Deno (the suites that need no workerd)"
  "vite|fresh Vite app: the packed tarballs, SSR-safe import, production build, SSR builds of the server package"
  "react|fresh React 19 + Vite + TypeScript app: <PilotConnect> and <pilot-connect> under StrictMode, in Chromium"
  "next|fresh Next.js app: packed packages, next build, route handlers, the SSR page hydrated in Chromium, tsc"
  "recipes|framework recipes (Express, Hono, Fastify, Cloudflare Worker) against the sandbox, each with tsc"
  "e2e|end to end in Chromium: demo page → worker (workerd) → sandbox; the phone, embedding, branding, official-number, hosted-Meta-signup and Meta-signup-widget suites"
  "demo|demo smoke: sandbox + wrangler dev + Node backend, flow through the worker, webhook back"
  "release|release checks: one version everywhere, licences and file lists of the three tarballs, exports against README's public list"
  "reports|bench/REPORT.md and the README's figures are what bench/report.mjs renders from bench/report.json"
)
stage_names() { local s; for s in "${STAGES[@]}"; do echo "${s%%|*}"; done; }

if [ "${1:-}" = "--list" ]; then
  for s in "${STAGES[@]}"; do printf '%-15s %s\n' "${s%%|*}" "${s#*|}"; done
  exit 0
fi
selected=("$@")
[ ${#selected[@]} -gt 0 ] || mapfile -t selected < <(stage_names)
for s in "${selected[@]}"; do
  # Not `grep -q`: it exits at the first match, and under pipefail the writer's SIGPIPE fails the check.
  stage_names | grep -x -- "$s" >/dev/null || { echo "test.sh: no stage '$s' (bash tools/test.sh --list)" >&2; exit 2; }
done

bash tools/bootstrap.sh
source tools/env.sh

# Builds, each at most once per invocation.
declare -A BUILT=()
need() {
  local b
  for b in "$@"; do
    [ -n "${BUILT[$b]:-}" ] && continue
    case $b in
      sandbox) cargo build -q --locked -p pilot-sandbox ;;
      worker) (cd worker && worker-build --release) ;;
      edge) need worker; step "build: edge npm package (pack, file list)"; bash tools/build-edge.sh ;;
      widget) step "build: widget npm package (build, pack, size gate)"; bash tools/build-widget.sh ;;
      server) step "build: server npm package (build, pack, size)"; bash tools/build-server.sh ;;
      node-app) need server widget; bash tools/node-app-install.sh ;;
      *) echo "test.sh: unknown build '$b'" >&2; exit 2 ;;
    esac
    BUILT[$b]=1
  done
}

stage_format() {
  cargo fmt --all --check
  cargo fmt --manifest-path fuzz/Cargo.toml --check
}

stage_clippy() {
  cargo clippy --workspace --exclude pilot-connect-worker --all-targets --features native --locked -- -D warnings
  cargo clippy -p pilot-connect --target wasm32-unknown-unknown --all-targets --features fetch --locked -- -D warnings
  cargo clippy -p pilot-connect-widget --target wasm32-unknown-unknown --lib --locked -- -D warnings
  # The browser tests link std through wasm-bindgen-test: the widget's `std` feature (no own panic handler).
  cargo clippy -p pilot-connect-widget -p pilot-connect-server --target wasm32-unknown-unknown --all-targets --features pilot-connect-widget/std --locked -- -D warnings
  cargo clippy -p pilot-connect-worker --target wasm32-unknown-unknown --locked -- -D warnings
  # The session machine's native tests (the worker crate links natively for them).
  cargo clippy -p pilot-connect-worker --tests --locked -- -D warnings
  # The fuzz targets compile here; tools/bench.sh runs them.
  cargo clippy --manifest-path fuzz/Cargo.toml --locked -- -D warnings
}

stage_native() {
  cargo test --workspace --exclude pilot-connect-worker --features native --locked
  # The worker's session machine: state × input table, flows, proptests (no workerd).
  cargo test -p pilot-connect-worker --tests --locked
}

stage_core-wasm() {
  cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked
  WASM_BINDGEN_USE_BROWSER=1 cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked
}

stage_widget-browser() {
  WASM_BINDGEN_USE_BROWSER=1 cargo test -p pilot-connect-widget --target wasm32-unknown-unknown --test browser --features std --locked
}

stage_worker() {
  need sandbox worker
  node --test --test-timeout=120000 worker/test/*.test.mjs
}

stage_worker-size() {
  need worker
  (cd worker && npx wrangler deploy --dry-run --outdir ../target/worker-dist 2>&1 | grep -E "Total Upload")
}

stage_edge() {
  need sandbox worker widget edge
  install_app tests/edge-app ci pilot-connect-edge
  node --test --test-timeout=300000 tests/edge-app/test/*.test.mjs
  # Every stored session state a release wrote, read by the package as installed from its tarball.
  PILOT_WORKER_BUILD=tests/edge-app/node_modules/pilot-connect-edge/worker \
    node --test --test-timeout=120000 worker/test/stored-state.test.mjs
}

stage_widget-pkg() {
  need widget
  node --test tools/test/*.test.mjs
}

stage_widget-handle() {
  need sandbox worker widget
  node --test --test-timeout=120000 tests/e2e/handle.e2e.mjs
}

stage_widget-types() {
  need widget
  bash tools/types-widget-install.sh
  node tests/types-widget/check.mjs
}

stage_server-pkg() {
  need server
}

stage_node-app() {
  need sandbox worker node-app
  (cd tests/node-app && node --test --test-timeout=120000 test/*.test.mjs)
  # index.d.ts against typical and wrong usage (tsc --strict)
  (cd tests/node-app && node node_modules/typescript/bin/tsc -p types/tsconfig.json)
}

stage_runtimes() {
  need sandbox node-app
  # The suites that need no workerd, on the other runtimes the package supports.
  local suites=(test/lifecycle.test.mjs test/fixtures.test.mjs test/errors.test.mjs test/secrets.test.mjs test/config.test.mjs)
  if [ -x /usr/bin/node ]; then
    step "server package on the machine's own Node $(/usr/bin/node --version)"
    (cd tests/node-app && /usr/bin/node --test --test-timeout=120000 "${suites[@]}")
  fi
  # The same suite files, unchanged, under the test runners of Bun and Deno (both run node:test
  # files; a failed test fails the step). Deno: --no-check (plain .mjs, no types to check), -A
  # (spawn the sandbox, loopback, temp files).
  step "server package on Bun $(tools/runtimes/node_modules/.bin/bun --version)"
  (cd tests/node-app && DO_NOT_TRACK=1 ../../tools/runtimes/node_modules/.bin/bun test --timeout 120000 "${suites[@]}")
  step "server package on Deno $(tools/runtimes/node_modules/.bin/deno --version | awk 'NR==1{print $2}')"
  (cd tests/node-app && NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 ../../tools/runtimes/node_modules/.bin/deno test -A --no-check "${suites[@]}")
}

stage_vite() {
  need widget server
  bash tools/vite-app-install.sh
  (cd tests/vite-app && node ssr-check.mjs && node node_modules/.bin/vite build --logLevel warn \
    && rm -rf dist-ssr && node node_modules/.bin/vite build --ssr server-entry.js --outDir dist-ssr/external --logLevel warn \
    && node node_modules/.bin/vite build --ssr server-entry.js --outDir dist-ssr/bundled --config ssr-bundle.config.js --logLevel warn \
    && node dist-ssr/external/server-entry.js && node dist-ssr/bundled/server-entry.js)
}

stage_react() {
  need sandbox worker widget
  bash tools/react-app-install.sh
  (cd tests/react-app && node --test --test-timeout=300000 test/*.test.mjs)
}

stage_next() {
  need sandbox worker widget server
  bash tools/next-app-install.sh
  (cd tests/next-app && node --test --test-timeout=300000 test/*.test.mjs)
}

# What each recipe app shows beyond the common suite (token, webhook + relay, numbers, tsc with
# strict and skipLibCheck false over its types.ts).
declare -A RECIPE=(
  [express]="express.raw webhook + relayWebhook end to end (sandbox one/many, the worker in workerd, push), provisionEdge topologies, the express.json() pitfall, Meta signup links mapped to customers (webhook or polling)"
  [hono]="@hono/node-server: c.req.text() webhook, relay, tokens, numbers"
  [fastify]="buffer content-type parser on the webhook route, relay, tokens, numbers"
  [worker]="a Hono API Worker: the recipe (request.text() webhook, relay in waitUntil, tokens, numbers) bundled in workerd; the edge mounted under /pilot behind its middleware, under wrangler dev"
)
stage_recipes() {
  need sandbox worker server edge
  local app
  for app in express hono fastify worker; do
    step "recipe: $app — ${RECIPE[$app]}, tsc"
    bash tools/recipe-apps-install.sh "$app"
    (cd "tests/$app-app" && node --test --test-timeout=120000 test/*.test.mjs)
    (cd "tests/$app-app" && node node_modules/typescript/bin/tsc -p tsconfig.json)
  done
}

stage_e2e() {
  need sandbox worker widget node-app
  node --test --test-timeout=180000 tests/e2e/widget.e2e.mjs tests/e2e/states.e2e.mjs tests/e2e/phone.e2e.mjs tests/e2e/branding.e2e.mjs tests/e2e/official.e2e.mjs tests/e2e/hosted-meta.e2e.mjs tests/e2e/signup.e2e.mjs
}

stage_demo() {
  need sandbox worker widget node-app
  DEMO_ONESHOT=1 DEMO_PREBUILT=1 DEMO_SANDBOX_PORT=18180 DEMO_WORKER_PORT=18787 DEMO_HOST_PORT=18788 bash tools/demo.sh
}

stage_release() {
  need widget server edge
  node --test tests/release/*.test.mjs
}

stage_reports() {
  node bench/report.mjs --check
}

for s in "${selected[@]}"; do
  for line in "${STAGES[@]}"; do
    [ "${line%%|*}" = "$s" ] && step "$s: ${line#*|}"
  done
  "stage_$s"
done

step "all green (${selected[*]})"
