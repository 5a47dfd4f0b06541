#!/usr/bin/env bash
# Every end-to-end benchmark that fits in about 15 minutes (after the builds), one after
# another, each printing its table: programming rate, data plane, restart, policy-to-data-plane
# latency (one real bridge, 100 simulated), sessions, one change's cost as the policy grows to
# 100,000 tap flows. --micro adds the package-benchmark micro benchmarks (codec, compiler; their
# release builds take several minutes more). Needs root. BENCHMARKS.md explains every table.
set -euo pipefail
cd "$(dirname "$0")/.."
micro=0
[ "${1:-}" = "--micro" ] && micro=1
section() { printf '\n## %s\n\n' "$1"; }
started=$(date +%s)
section "Programming rate (scripts/bench-programming.sh 5 10000 100000)"
scripts/bench-programming.sh 5 10000 100000 2>/dev/null
section "Data plane (scripts/bench-dataplane.sh 3 5)"
scripts/bench-dataplane.sh 3 5 2>/dev/null
section "Restart with 10,000 tap flows (scripts/bench-restart.sh 500 20)"
scripts/bench-restart.sh 500 20 2>/dev/null
section "Policy to data plane (scripts/bench-latency.sh 1000)"
scripts/bench-latency.sh 1000 2>/dev/null
section "Policy to data plane, 100 simulated bridges (scripts/bench-latency-sim.sh 100 1000)"
scripts/bench-latency-sim.sh 100 1000 2>/dev/null
section "Sessions (scripts/bench-sessions.sh 1000 5000)"
scripts/bench-sessions.sh 1000 5000 2>/dev/null
section "Scale: 100 simulated bridges, 100,500 ports, up to 100,000 tap flows (scripts/bench-scale.sh)"
scripts/bench-scale.sh 2>/dev/null
if [ "$micro" -eq 1 ]; then
    section "Micro (package-benchmark)"
    (cd Benchmarks && swift package --disable-sandbox benchmark --target OpenFlowCodec && swift package --disable-sandbox benchmark --target PipelineCompile)
fi
printf '\nAll done in %d s.\n' $(( $(date +%s) - started ))
