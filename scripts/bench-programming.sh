#!/usr/bin/env bash
# Programming rate against a real Open vSwitch (private ovs-vswitchd, userspace, own namespace),
# side by side in one run: the switch's own limit, ovs-ofctl --bundle add-flows, and taasd's
# session and reconciler (plain and one bundle). Needs root. Usage:
#   scripts/bench-programming.sh [ROUNDS] [SIZE ...]     (default 3 rounds of 10000 and 100000 flows)
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift build -c release --product bench-programming >&2
exec .build/release/bench-programming "$@"
