#!/usr/bin/env bash
# Installs tests/types-widget (TypeScript and React's types from its lockfile) and the freshly
# packed widget tarball, for tests/types-widget/check.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
install_app tests/types-widget ci pilot-connect-widget
