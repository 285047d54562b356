#!/usr/bin/env bash
# Installs tests/vite-app (Vite from its lockfile) and the freshly packed widget and server tarballs.
set -euo pipefail
cd "$(dirname "$0")/../tests/vite-app"
version=$(awk -F'"' '/^version = /{print $2; exit}' ../../widget/Cargo.toml)
# npm install (not ci): this registry lacks some foreign-platform rollup builds the lockfile lists.
npm install --no-fund --no-audit --loglevel=error
server_version=$(awk -F'"' '/^version = /{print $2; exit}' ../../server/Cargo.toml)
npm install --no-save --no-fund --no-audit --loglevel=error "../../target/pilot-connect-widget-$version.tgz" \
  "../../target/pilot-connect-server-$server_version.tgz"
