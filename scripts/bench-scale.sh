#!/usr/bin/env bash
# One change's end-to-end cost as the policy grows (scripts/bench-sim.py scale): release taasd
# with 100 simulated bridges (switch-sim) and a declared topology of about 100,000 ports; at 0,
# 10,000 and 100,000 installed tap flows, POST→ACTIVE p50/p99, the POST alone, taasd's CPU per
# change, idle CPU, resident memory; and the bulk preload's time to ACTIVE.
#   scripts/bench-scale.sh [NODES VMS SIZE...]   (default: 100 1005 0 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(100 1005 0 10000 100000)
swift build -c release --product taasd >&2
swift build -c release --product switch-sim >&2
exec python3 scripts/bench-sim.py scale "${args[@]}"
