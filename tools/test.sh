#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
source tools/env.sh

step "format"
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --check
step "clippy (native, all targets)"
cargo clippy --workspace --exclude pilot-connect-worker --all-targets --features native --locked -- -D warnings
step "clippy (wasm32: core + widget + worker + server)"
cargo clippy -p pilot-connect --target wasm32-unknown-unknown --all-targets --features fetch --locked -- -D warnings
cargo clippy -p pilot-connect-widget --target wasm32-unknown-unknown --lib --locked -- -D warnings
# The browser tests link std through wasm-bindgen-test: the widget's `std` feature (no own panic handler).
cargo clippy -p pilot-connect-widget -p pilot-connect-server --target wasm32-unknown-unknown --all-targets --features pilot-connect-widget/std --locked -- -D warnings
cargo clippy -p pilot-connect-worker --target wasm32-unknown-unknown --locked -- -D warnings
step "fuzz targets compile (run by tools/bench.sh)"
cargo clippy --manifest-path fuzz/Cargo.toml --locked -- -D warnings

step "core, sandbox, server bindings and widget state machine tests (native)"
cargo test --workspace --exclude pilot-connect-worker --features native --locked
step "core tests compiled to wasm32, in Node"
cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked
step "core tests compiled to wasm32, in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 cargo test -p pilot-connect --target wasm32-unknown-unknown --tests --locked

step "widget in headless Chromium (wasm-bindgen-test: DOM per state, errors, timers/listeners)"
WASM_BINDGEN_USE_BROWSER=1 cargo test -p pilot-connect-widget --target wasm32-unknown-unknown --test browser --features std --locked

step "worker: build with worker-build, then test in workerd against the sandbox"
cargo build -q --locked -p pilot-sandbox
(cd worker && worker-build --release)
node --test --test-timeout=120000 worker/test/*.test.mjs

step "worker: upload bundle size (wrangler deploy --dry-run)"
(cd worker && npx wrangler deploy --dry-run --outdir ../target/worker-dist 2>&1 | grep -E "Total Upload")

step "widget npm package: build, pack, size; the name minifier on the real glue (and failing on an unknown one)"
bash tools/build-widget.sh
node --test tools/test/*.test.mjs
step "widget package: the handle and the element on the shipped no_std build (Chromium, workerd, sandbox)"
node --test --test-timeout=120000 tests/e2e/handle.e2e.mjs
step "widget package types: tsc (skipLibCheck false) per lib ES2020..ESNext, with and without React types"
bash tools/types-widget-install.sh
node tests/types-widget/check.mjs

step "server npm package: build, pack, size"
bash tools/build-server.sh

step "server package in a fresh Node project: lifecycle, fixtures, errors, tokens (workerd, jsonwebtoken), webhooks, secrets"
bash tools/node-app-install.sh
(cd tests/node-app && node --test --test-timeout=120000 test/*.test.mjs)
step "server package types: index.d.ts against typical and wrong usage (tsc --strict)"
(cd tests/node-app && node node_modules/typescript/bin/tsc -p types/tsconfig.json)
# The suites that need no workerd, on the other runtimes the package supports.
runtime_suites=(test/lifecycle.test.mjs test/fixtures.test.mjs test/errors.test.mjs test/secrets.test.mjs test/config.test.mjs)
if [ -x /usr/bin/node ]; then
  step "server package on the machine's own Node $(/usr/bin/node --version) (the suites that need no workerd)"
  (cd tests/node-app && /usr/bin/node --test --test-timeout=120000 "${runtime_suites[@]}")
fi
# The same suite files, unchanged, under the test runners of Bun and Deno (both run node:test
# files; a failed test fails the step). Deno: --no-check (plain .mjs, no types to check), -A
# (spawn the sandbox, loopback, temp files).
step "server package on Bun $(tools/runtimes/node_modules/.bin/bun --version) (the suites that need no workerd)"
(cd tests/node-app && DO_NOT_TRACK=1 ../../tools/runtimes/node_modules/.bin/bun test --timeout 120000 "${runtime_suites[@]}")
step "server package on Deno $(tools/runtimes/node_modules/.bin/deno --version | awk 'NR==1{print $2}') (the suites that need no workerd)"
(cd tests/node-app && NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 ../../tools/runtimes/node_modules/.bin/deno test -A --no-check "${runtime_suites[@]}")

step "fresh Vite app: install the packed tarballs, SSR-safe import, production build, SSR builds of the server package"
bash tools/vite-app-install.sh
(cd tests/vite-app && node ssr-check.mjs && node node_modules/.bin/vite build --logLevel warn \
  && rm -rf dist-ssr && node node_modules/.bin/vite build --ssr server-entry.js --outDir dist-ssr/external --logLevel warn \
  && node node_modules/.bin/vite build --ssr server-entry.js --outDir dist-ssr/bundled --config ssr-bundle.config.js --logLevel warn \
  && node dist-ssr/external/server-entry.js && node dist-ssr/bundled/server-entry.js)

step "fresh React 19 + Vite + TypeScript app: <PilotConnect> and <pilot-connect> under StrictMode, dev server and production build, in Chromium against workerd and the sandbox; tsc (skipLibCheck false)"
bash tools/react-app-install.sh
(cd tests/react-app && node --test --test-timeout=300000 test/*.test.mjs)

step "fresh Next.js app: the packed server and widget tarballs, next build (Turbopack, no config), Node and Edge route handlers, the SSR page with <PilotConnect> hydrated in Chromium, tsc"
bash tools/next-app-install.sh
(cd tests/next-app && node --test --test-timeout=300000 test/*.test.mjs)

step "Express recipe: express.raw webhook + relayWebhook end to end (sandbox one/many, the worker in workerd, push), provisionEdge topologies, the express.json() pitfall, tsc"
bash tools/recipe-apps-install.sh express
(cd tests/express-app && node --test --test-timeout=120000 test/*.test.mjs)
(cd tests/express-app && node node_modules/typescript/bin/tsc -p tsconfig.json) # types.ts: strict, skipLibCheck false
step "Hono recipe (@hono/node-server): c.req.text() webhook, relay, tokens, numbers against the sandbox, tsc"
bash tools/recipe-apps-install.sh hono
(cd tests/hono-app && node --test --test-timeout=120000 test/*.test.mjs)
(cd tests/hono-app && node node_modules/typescript/bin/tsc -p tsconfig.json) # types.ts: strict, skipLibCheck false
step "Fastify recipe: buffer content-type parser on the webhook route, relay, tokens, numbers against the sandbox, tsc"
bash tools/recipe-apps-install.sh fastify
(cd tests/fastify-app && node --test --test-timeout=120000 test/*.test.mjs)
(cd tests/fastify-app && node node_modules/typescript/bin/tsc -p tsconfig.json) # types.ts: strict, skipLibCheck false
step "Cloudflare Worker recipe: wrangler bundle in workerd, request.text() webhook, relay in waitUntil, tokens, numbers, tsc"
bash tools/recipe-apps-install.sh worker
(cd tests/worker-app && node --test --test-timeout=120000 test/*.test.mjs)
(cd tests/worker-app && node node_modules/typescript/bin/tsc -p tsconfig.json) # types.ts: strict, skipLibCheck false

step "end to end in Chromium: demo page (packed widget) → worker (workerd) → sandbox; Node backend on pilot-connect-server; the phone (390×844 touch) and embedding suites"
node --test --test-timeout=180000 tests/e2e/widget.e2e.mjs tests/e2e/states.e2e.mjs tests/e2e/phone.e2e.mjs

step "demo smoke: sandbox + wrangler dev + Node backend, flow through the worker, webhook back"
DEMO_ONESHOT=1 DEMO_PREBUILT=1 DEMO_SANDBOX_PORT=18180 DEMO_WORKER_PORT=18787 DEMO_HOST_PORT=18788 bash tools/demo.sh

step "all green"
