#!/usr/bin/env bash
# Scale: simulated switches (switch-sim) holding sessions with one taasd, over loopback.
#   scripts/bench-sessions.sh [COUNT ...]   (default: 1000 10000)
# For each count: sessions held, taasd's resident memory per idle session, and echo round
# trips (every switch sends one echo per round, 5 rounds, all at once).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000)
# Each session is one descriptor in taasd and one in switch-sim.
ulimit -n "$(ulimit -Hn)"
swift build -c release --product taasd >&2
swift build -c release --product switch-sim >&2
bin=.build/release
port=16653
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "echo round trips in ms: steady = one at a time from random switches (2,000), burst = all switches at once (5 rounds)"
printf '%-9s %-6s %-14s %-22s %-26s %s\n' switches held "all ready ms" "taasd RSS per session" "steady p50 / p99 / max" "burst p50 / p99 / max"
for n in "${counts[@]}"; do
    log=$(mktemp)
    "$bin/taasd" --openflow "ptcp:$port:127.0.0.1" --log-level warning --echo-interval 60 --echo-timeout 60 2>"$log" &
    taasd=$!
    trap 'kill $taasd 2>/dev/null || true' EXIT
    sleep 1
    base=$(rss $taasd)
    out=$(mktemp)
    "$bin/switch-sim" --port $port --count "$n" --rounds 5 --hold 4 >"$out" &
    sim=$!
    until grep -q echo_burst "$out" 2>/dev/null; do
        kill -0 $sim 2>/dev/null || { cat "$out" "$log" >&2; exit 1; }
        sleep 0.2
    done
    sleep 1  # idle: measure while every session is connected and quiet
    held=$(rss $taasd)
    wait $sim
    ready=$(awk '/^sessions/ {print $4}' "$out")
    read -r _ _ _ _ sp50 _ sp99 _ smax _ alive < <(grep echo_steady "$out")
    read -r _ _ _ _ bp50 _ bp99 _ bmax _ _ < <(grep echo_burst "$out")
    per=$(awk -v a="$held" -v b="$base" -v n="$n" 'BEGIN {printf "%.1f KB", (a - b) / n}')
    printf '%-9s %-6s %-14s %-22s %-26s %s\n' "$n" "$alive" "$ready" "$per" "$sp50 / $sp99 / $smax" "$bp50 / $bp99 / $bmax"
    kill $taasd; wait $taasd 2>/dev/null || true
    trap - EXIT
    rm -f "$log" "$out"
    port=$((port + 1))
done
