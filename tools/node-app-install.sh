#!/usr/bin/env bash
# Installs tests/node-app (a fresh Node project: its lockfile, then the freshly packed
# pilot-connect-server and pilot-connect-widget tarballs, as a user would).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
install_app tests/node-app ci pilot-connect-server pilot-connect-widget
