#!/usr/bin/env bash
# Writes Sources/taasd/startup-order.txt: the code a release taasd runs from its start until it
# idles (one /healthz answered, 20 s of its timers), which the linker places side by side at the
# front of the binary (Package.swift). An idle taasd then keeps few pages of code resident: the
# kernel maps the 64 KB around every page touched, and the start touches code in every module.
# The file names one function of each input section that holds such code (the linker moves
# sections, not functions, and an object's local functions share one).
# Run it again after large changes; names that no longer exist are skipped by the linker, and
# new code is laid out as without the file.
#   scripts/code-order.sh          (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d /tmp/taas-code-order.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# The link map tells which input section holds each function.
swift build -c release --product taasd -Xlinker -Map="$work/taasd.map" >&2
# Valgrind cannot read the toolchain's DWARF; the symbol table is all it needs here.
objcopy --strip-debug .build/release/taasd "$work/taasd"
port=$((20000 + RANDOM % 6000 * 2))
valgrind --tool=callgrind --demangle=no --dump-instr=no --callgrind-out-file="$work/callgrind.out" \
    "$work/taasd" --openflow "ptcp:$port:127.0.0.1" --api "127.0.0.1:$((port + 1))" --db "$work/taasd.sqlite" \
    --log-level warning >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    curl -sf -m 5 "http://127.0.0.1:$((port + 1))/healthz" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.5
done
curl -sf -m 5 "http://127.0.0.1:$((port + 1))/healthz" >/dev/null
sleep 20
kill -TERM "$pid"
wait "$pid" || true
pid=

python3 - "$work/callgrind.out" "$work/taasd" "$work/taasd.map" >Sources/taasd/startup-order.txt <<'PY'
import re, sys
out, binary, linkmap = sys.argv[1], sys.argv[2], sys.argv[3]
# Every function of the binary's that callgrind saw run, as caller or callee, by mangled name.
objects, names, seen = {}, {}, set()
ob = cob = None
for line in open(out, errors="replace"):
    m = re.match(r"(c?ob)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(3):
            objects[m.group(2)] = m.group(3)
        if m.group(1) == "ob":
            ob = objects.get(m.group(2))
        else:
            cob = objects.get(m.group(2))
        continue
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        owner = ob if m.group(1) == "fn" else (cob or ob)
        if owner == binary:
            seen.add(names[m.group(2)])
        if m.group(1) == "cfn":
            cob = None
# One of them per input section. lld's map: a section's line ("file:(section)"), then its symbols'.
section, first = None, {}
for line in open(linkmap, errors="replace"):
    parts = line.split(None, 4)
    if len(parts) < 5:
        continue
    text = parts[4].strip()
    if ":(" in text:
        section = text
    elif section and text in seen:
        first.setdefault(section, text)
print("\n".join(sorted(first.values())))
print(f"{len(seen)} functions run, in {len(first)} input sections", file=sys.stderr)
PY
# The linker reads the file, but the build does not know it: the next build must link again.
rm -f "$(swift build -c release --show-bin-path)/taasd"
echo "wrote Sources/taasd/startup-order.txt; the next release build of taasd links with it" >&2
