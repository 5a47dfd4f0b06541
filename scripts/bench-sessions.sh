#!/usr/bin/env bash
# Scale: simulated switches (switch-sim) with one taasd, over loopback (scripts/bench-sim.py).
#   scripts/bench-sessions.sh [COUNT ...]   (default: 1000 5000 10000)
# For each count: sessions held, taasd's resident memory per idle session, echo round trips,
# and the time to push a change that touches every bridge (tap flows created, then deleted),
# beside the transport floor of the same push (transport-floor: the bytes alone, nothing parsed).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 5000 10000)
swift build -c release --product taasd >&2
swift build -c release --product switch-sim >&2
swift build -c release --product transport-floor >&2
exec python3 scripts/bench-sim.py sessions "${counts[@]}"
