#!/usr/bin/env bash
# Installs tests/vite-app (Vite from its lockfile) and the freshly packed widget and server tarballs.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
# npm install (not ci): this registry lacks some foreign-platform rollup builds the lockfile lists.
install_app tests/vite-app install pilot-connect-widget pilot-connect-server
