#!/usr/bin/env bash
# The demo: builds everything, then starts the sandbox, the worker (wrangler dev, real workerd)
# and the Node demo backend (pilot-connect-server), and prints the page URL. Ctrl-C stops all three.
# DEMO_ONESHOT=1 runs the flow headless through the worker and exits (used by the test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
source tools/env.sh

SANDBOX_PORT=${DEMO_SANDBOX_PORT:-8080}
WORKER_PORT=${DEMO_WORKER_PORT:-8787}
HOST_PORT=${DEMO_HOST_PORT:-8788}
TENANT_KEY=ps_demo_tenant_key
TOKEN_SECRET=demo-connect-token-secret-0123456789-abcdef
HOOK_SECRET=whsec_demo_dashboard_secret   # the sandbox's "dashboard" webhook signing secret
logs=target/demo
mkdir -p "$logs"

# DEMO_PREBUILT=1 (the test command, which has just built and installed all of it) skips this.
if [ "${DEMO_PREBUILT:-0}" != 1 ]; then
  echo "[demo] building the sandbox, the worker, the widget and the server package"
  cargo build -q --locked -p pilot-sandbox
  (cd worker && worker-build --release >"../$logs/worker-build.log" 2>&1) || { cat "$logs/worker-build.log"; exit 1; }
  bash tools/build-widget.sh
  bash tools/build-server.sh
  bash tools/node-app-install.sh   # the demo backend's project, with the packed pilot-connect-server
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

wait_for() { # url, what
  for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "[demo] $2 did not come up; see $logs/" >&2; exit 1
}

setsid target/debug/pilot-sandbox --port "$SANDBOX_PORT" --tenant-key "$TENANT_KEY" --webhook-secret "$HOOK_SECRET" \
  >"$logs/sandbox.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$SANDBOX_PORT/_sandbox/health" sandbox

# Local secrets for wrangler dev, outside the repo's .dev.vars (which stays yours).
envfile="$logs/worker.env"
cat >"$envfile" <<VARS
PS_API_KEY="$TENANT_KEY"
CONNECT_TOKEN_SECRET="$TOKEN_SECRET"
PS_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
ALLOWED_ORIGINS="http://127.0.0.1:$HOST_PORT"
CONNECT_TOKEN_AUDIENCE="pilot-connect-demo"
PS_WEBHOOK_SECRET="$HOOK_SECRET"
VARS
# setsid makes it a process-group leader, so cleanup stops wrangler and its workerd children.
setsid bash -c 'cd worker && exec npx wrangler dev --ip 127.0.0.1 --port "$1" --env-file "../$2" \
  --show-interactive-dev-session=false --log-level warn' _ "$WORKER_PORT" "$envfile" >"$logs/wrangler.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$WORKER_PORT/healthz" "worker (wrangler dev)"

# The customer backend: Node + pilot-connect-server (tests/node-app/demo/backend.mjs).
host=(node tests/node-app/demo/backend.mjs --port "$HOST_PORT" --sandbox "http://127.0.0.1:$SANDBOX_PORT"
      --worker "http://127.0.0.1:$WORKER_PORT" --audience pilot-connect-demo)
export PS_API_KEY="$TENANT_KEY" CONNECT_TOKEN_SECRET="$TOKEN_SECRET" PS_WEBHOOK_SECRET="$HOOK_SECRET"
if [ "${DEMO_ONESHOT:-0}" = 1 ]; then
  "${host[@]}" --oneshot
  exit 0
fi
setsid "${host[@]}" & pids+=($!)
wait_for "http://127.0.0.1:$HOST_PORT/" "demo host"
cat <<MSG

  Demo page:  http://127.0.0.1:$HOST_PORT/
  Worker:     http://127.0.0.1:$WORKER_PORT   (GET /v1/qr, /v1/status, /healthz)
  Sandbox:    http://127.0.0.1:$SANDBOX_PORT  (control API: /_sandbox)
  Backend:    tests/node-app/demo/backend.mjs  (Node + pilot-connect-server; webhooks at /hooks/pilot-status)
  Logs:       $logs/

  Press Ctrl-C to stop.
MSG
wait
