#!/usr/bin/env bash
# Installs tests/react-app (a fresh React 19 + Vite + TypeScript app: React, Vite and the types
# from its lockfile) and the freshly packed widget tarball, as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
# npm install (not ci): this registry lacks some foreign-platform rollup builds the lockfile lists.
install_app tests/react-app install pilot-connect-widget
