#!/usr/bin/env bash
# Policy to data plane with many bridges: the time from `POST /v2.0/taas/tap_flows` to ACTIVE
# (its flows committed on both bridges involved: the source's and the tap service's) with
# NODES simulated bridges connected (switch-sim), over loopback (scripts/bench-sim.py).
#   scripts/bench-latency-sim.sh [NODES] [CREATIONS]   (default: 100 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product taasd >&2
swift build -c release --product switch-sim >&2
exec python3 scripts/bench-sim.py latency "${1:-100}" "${2:-1000}"
