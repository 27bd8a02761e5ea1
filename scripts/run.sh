#!/usr/bin/env bash
# Installs what is missing, builds Hyperward (release) and audits this host.
# Extra arguments go to `hyperward audit` (e.g. --format json, --feed FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product hyperward 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || true
test -x .build/release/hyperward
exec .build/release/hyperward audit "$@"
