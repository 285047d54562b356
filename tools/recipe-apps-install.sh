#!/usr/bin/env bash
# Installs the framework recipe apps (tests/<name>-app: Express, Hono, Fastify, Cloudflare Worker)
# as a user would: each from its own lockfile (skipped while it is unchanged), then the freshly
# packed pilot-connect-server tarball (the Worker app: and pilot-connect-edge's). `$@`: only these apps (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(express hono fastify worker)
for a in "${apps[@]}"; do
  [ -d "tests/$a-app" ] || continue
  if [ "$a" = worker ]; then
    # The team's API Worker mounts the edge too.
    install_app "tests/$a-app" ci pilot-connect-server pilot-connect-edge
  else
    install_app "tests/$a-app" ci pilot-connect-server
  fi
done
