#!/usr/bin/env bash
# Installs tests/next-app (a fresh Next.js app: Next from its lockfile) and the freshly packed
# tarballs of the packages it uses, as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
packages=(pilot-connect-server pilot-connect-widget) # the route handlers; app/connect (<PilotConnect>)
install_app tests/next-app ci "${packages[@]}"
