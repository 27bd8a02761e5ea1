#!/usr/bin/env bash
# The fleet server under load, release build, loopback only (docs/server.md):
#   benchmarks/fleet-load.sh [AGENTS] [SECONDS] [DASHBOARD_EVENTS]
# 1,000 simulated agents by default, each on its own mutual-TLS connection, pushing 10 events a
# second for 60 s to a `hyperward server run` process (SQLite); then the dashboard's pages timed
# with 1,000,000 events. Prints ingest latency percentiles, events lost, server RSS and page times.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hyperward >/dev/null
swift build -c release --product FleetBench >/dev/null
# Enough descriptors for a thousand connections on each side.
ulimit -n "$(ulimit -Hn)"
exec .build/release/FleetBench --binary .build/release/hyperward --agents "${1:-1000}" --seconds "${2:-60}" \
    --dashboard-events "${3:-1000000}"
