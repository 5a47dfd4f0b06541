#!/usr/bin/env bash
# Fuzzes the OpenFlow decoder with libFuzzer for a bounded time.
#   scripts/fuzz.sh [--keep] [SECONDS]   (default 60)
# Crashers stay in .build-fuzz/artifacts/ (ignored by git). With --keep they are also copied to
# Tests/FuzzCorpus/regressions/, which the unit tests replay: commit them together with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
seconds="${1:-60}"
scratch=.build-fuzz
swift build -c release --product openflow-fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >&2
bin="$scratch/release/openflow-fuzz"
work="$scratch/corpus"
artifacts="$scratch/artifacts"
rm -rf "$artifacts"
mkdir -p "$work" "$artifacts"
status=0
"$bin" -max_total_time="$seconds" -max_len=65535 -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" "$work" Tests/FuzzCorpus/seeds Tests/FuzzCorpus/regressions || status=$?
found=0
for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$f" ] || continue
    found=1
    if [ "$keep" -eq 1 ]; then
        cp "$f" Tests/FuzzCorpus/regressions/
        echo "crasher saved: Tests/FuzzCorpus/regressions/$(basename "$f")" >&2
    else
        echo "crasher: $f (rerun with --keep to add it to Tests/FuzzCorpus/regressions/)" >&2
    fi
done
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "fuzzing found a problem (exit $status)" >&2
    exit 1
fi
echo "fuzzing ran ${seconds}s without finding a crash" >&2
