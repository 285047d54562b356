#!/usr/bin/env bash
# Installs tests/node-app (a fresh Node project: its lockfile, then the freshly packed
# pilot-connect-server and pilot-connect-widget tarballs, as a user would).
set -euo pipefail
cd "$(dirname "$0")/../tests/node-app"
version=$(awk -F'"' '/^version = /{print $2; exit}' ../../server/Cargo.toml)
widget_version=$(awk -F'"' '/^version = /{print $2; exit}' ../../widget/Cargo.toml)
npm ci --no-fund --no-audit --loglevel=error
npm install --no-save --no-fund --no-audit --loglevel=error "../../target/pilot-connect-server-$version.tgz" \
  "../../target/pilot-connect-widget-$widget_version.tgz"
