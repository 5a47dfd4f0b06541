#!/usr/bin/env bash
# The policy store's share of a change, end to end (scripts/bench-sim.py store): release taasd
# with simulated bridges, tap flows created one by one and timed to ACTIVE, the policy first in
# SQLite, then in a private PostgreSQL (Debian's postgresql, installed when missing).
#   scripts/bench-store.sh [NODES CREATIONS]   (default: 10 200)
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(10 200)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi
swift build -c release --product taasd >&2
swift build -c release --product switch-sim >&2
exec python3 scripts/bench-sim.py store "${args[@]}"
