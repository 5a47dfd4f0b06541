#!/usr/bin/env bash
# Data-plane cost of mirroring, side by side in one run: iperf3 (TCP) between two VMs on one
# userspace bridge with no mirror, with an Open vSwitch native mirror of the sender's port, with
# a BOTH tap flow of the same port to a tap VM on the same bridge, with the same tap flow into a
# tap service with snaplen 128, with a tap flow whose filter (TCP to port 443) excludes the
# iperf3 traffic, and into a tap service limited to 100,000 kbit/s. Rounds interleave the six.
# Needs root; builds taasd and taas-lab (debug: only the control plane runs them), installs iperf3
# when missing. Usage: scripts/bench-dataplane.sh [ROUNDS] [SECONDS]      (default 3 rounds of 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-5}
command -v iperf3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >&2
source scripts/bench-lab.sh
bench_lab_cleanup_extra() { [ -f "$dir/iperf.pid" ] && kill "$(cat "$dir/iperf.pid")" 2>/dev/null || true; }
bench_lab_up tdp 2
ns() { ip netns exec "$name-$1" "${@:2}"; }
api() { curl -sS -m 10 -X "$1" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$base$2"; }
rx() { ns n1tap cat /sys/class/net/eth0/statistics/rx_packets; }
rxbytes() { ns n1tap cat /sys/class/net/eth0/statistics/rx_bytes; }
ns n1vm2 iperf3 -s -D --pidfile "$dir/iperf.pid"
sleep 0.5
throughput() {
    ns n1vm1 iperf3 -c 10.0.0.12 -t "$secs" -J | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
}
# tap_flow NAME SERVICE [FILTER]: a tap service (JSON body) with vm1's BOTH tap flow (with the
# filter's attributes, JSON without braces); measured; deleted.
tap_flow() {
    local sid fid
    sid=$(api POST /v2.0/taas/tap_services "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tap_service"]["id"])')
    fid=$(api POST /v2.0/taas/tap_flows "{\"tap_flow\":{\"tap_service_id\":\"$sid\",\"source_port\":\"n1vm1\",\"direction\":\"BOTH\"${3:+,$3}}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tap_flow"]["id"])')
    for _ in $(seq 100); do
        api GET "/v2.0/taas/tap_flows/$fid" | grep -q '"status":"ACTIVE"' && break
        sleep 0.1
    done
    measure "$1"
    api DELETE "/v2.0/taas/tap_services/$sid" >/dev/null
    sleep 1
}
results=$dir/results
: >"$results"
measure() {  # name: runs iperf3, records throughput and the copies (packets, bytes) the tap VM received
    local before after bps bytes0 bytes1
    # Measured on Open vSwitch 3.1 (userspace): adding or removing a native mirror did not reach
    # the datapath flows already cached for the previous run (they stay until idle for 10 s), so
    # every configuration starts with the cache flushed.
    OVS_RUNDIR="$dir/n1" ovs-appctl -t ovs-vswitchd dpctl/del-flows >/dev/null
    sleep 1
    before=$(rx); bytes0=$(rxbytes)
    bps=$(throughput)
    after=$(rx); bytes1=$(rxbytes)
    echo "$1 $bps $((after - before)) $((bytes1 - bytes0))" >>"$results"
    echo "round $r: $1 $((bps / 1000000)) Mbit/s, $((after - before)) packets at the tap VM" >&2
}
for r in $(seq "$rounds"); do
    measure none
    vsctl -- --id=@p get port n1vm1 -- --id=@t get port n1tap \
          -- --id=@m create mirror name=bench select-src-port=@p select-dst-port=@p output-port=@t \
          -- set bridge br-int mirrors=@m >/dev/null
    measure native
    vsctl clear bridge br-int mirrors
    tap_flow taas '{"tap_service":{"name":"bench","port_id":"n1tap"}}'
    tap_flow taas128 '{"tap_service":{"name":"bench","port_id":"n1tap","snaplen":128}}'
    tap_flow taasfilt '{"tap_service":{"name":"bench","port_id":"n1tap"}}' '"protocol":"tcp","destination_port_range_min":443,"destination_port_range_max":443'
    tap_flow taas100m '{"tap_service":{"name":"bench","port_id":"n1tap","max_kbps":100000}}'
done
python3 - "$results" "$rounds" "$secs" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for name, bps, copies, size in rows:
    by.setdefault(name, []).append((int(bps), int(copies), int(size)))
base = statistics.median(r[0] for r in by["none"])
secs = float(sys.argv[3])
print(f"| mirror | Mbit/s median (min–max) | ratio to no mirror | packets at the tap VM per run (median) | bytes at the tap VM per run (median) | bytes per copy | Mbit/s at the tap VM (median) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
label = {"none": "none", "native": "Open vSwitch native mirror (select-src/dst-port, output-port)", "taas": "taasd BOTH tap flow",
         "taas128": "taasd BOTH tap flow, snaplen 128", "taasfilt": "taasd BOTH tap flow filtered to TCP 443 (iperf3's traffic not copied)",
         "taas100m": "taasd BOTH tap flow, max_kbps 100,000"}
for k in ["none", "native", "taas", "taas128", "taasfilt", "taas100m"]:
    b = [r[0] for r in by[k]]
    c = statistics.median(r[1] for r in by[k])
    n = statistics.median(r[2] for r in by[k])
    per = f"{n / c:,.0f}" if c else "—"
    print(f"| {label[k]} | {statistics.median(b)/1e6:,.0f} ({min(b)/1e6:,.0f}–{max(b)/1e6:,.0f}) | {statistics.median(b)/base:.2f} | {c:,.0f} | {n/1e6:,.1f} MB | {per} | {n * 8 / secs / 1e6:,.0f} |")
print(f"\n{sys.argv[2]} interleaved rounds of {sys.argv[3]} s of iperf3 TCP each.")
PY
