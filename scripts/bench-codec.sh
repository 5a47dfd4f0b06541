#!/usr/bin/env bash
# Codec throughput side by side with the os-ken reference, interleaved in one run.
#   scripts/bench-codec.sh [ROUNDS] [SECONDS]   (default 3 rounds of 3 s per operation)
# Both encode the same mirror FLOW_MOD; the script checks their bytes are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
seconds="${2:-3}"
python3 -c "import os_ken" 2>/dev/null || pip install -q os-ken >&2
(cd Benchmarks && swift build -c release --product codec-throughput >&2)
swift_bin=Benchmarks/.build/release/codec-throughput
declare -a se sd oe od
for ((i = 0; i < rounds; i++)); do
    s=$(taskset -c 1 "$swift_bin" "$seconds")
    o=$(taskset -c 1 python3 Benchmarks/reference/osken_codec.py "$seconds")
    [ "$(grep wire-hex <<<"$s")" = "$(grep wire-hex <<<"$o")" ] || { echo "encodings differ:"; echo "$s"; echo "$o"; exit 1; }
    se+=("$(awk '/^encode/ {print $2}' <<<"$s")"); sd+=("$(awk '/^decode/ {print $2}' <<<"$s")")
    oe+=("$(awk '/^encode/ {print $2}' <<<"$o")"); od+=("$(awk '/^decode/ {print $2}' <<<"$o")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "-" hi}'; }
echo "mirror FLOW_MOD (128 bytes), one core, $rounds interleaved rounds of ${seconds}s, median (min-max) per second"
printf '%-8s %-28s %-24s %s\n' op taasd os-ken ratio
for op in encode decode; do
    if [ $op = encode ]; then a=("${se[@]}"); b=("${oe[@]}"); else a=("${sd[@]}"); b=("${od[@]}"); fi
    ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
    printf '%-8s %-28s %-24s %s\n' $op "$ma ($(range "${a[@]}"))" "$mb ($(range "${b[@]}"))" "$(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.0fx", a / b}')"
done
