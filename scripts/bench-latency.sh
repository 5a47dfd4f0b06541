#!/usr/bin/env bash
# Policy to data plane: the time from `POST /v2.0/taas/tap_flows` to the tap flow being ACTIVE
# (its flows confirmed by every bridge involved), one creation after another, on one real
# userspace bridge (taas-lab). Each tap flow has a source port of its own, so each creation
# changes the bridge's program. Needs root. Usage: scripts/bench-latency.sh [CREATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
swift build --product taasd >&2
swift build --product taas-lab >&2
name=tlt$((RANDOM % 10000))
dir=/tmp/$name
port=$((20000 + RANDOM % 20000))
lab=.build/debug/taas-lab
$lab up --dir "$dir" --name "$name" --nodes 1 --vms 1 --api-port "$port" >&2
trap '$lab down --dir "$dir" >/dev/null 2>&1 || true' EXIT
args=()
for i in $(seq "$n"); do
    args+=(-- add-port br-int "s$i" -- set interface "s$i" type=internal "ofport_request=$((100 + i))"
           "external_ids:iface-id=s$i" "external_ids:attached-mac=$(printf '02:aa:00:00:%02x:%02x' $((i / 256)) $((i % 256)))")
done
ovs-vsctl --db="unix:$dir/n1/db.sock" --timeout=300 "${args[@]}" -- add-port br-int t1 -- set interface t1 type=internal \
    ofport_request=9000 external_ids:iface-id=t1 external_ids:attached-mac=02:bb:00:00:00:01
python3 - "http://127.0.0.1:$port" "$n" <<'PY'
import json, sys, time, urllib.request, statistics
base, n = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")
for _ in range(600):
    if len(call("GET", "/v2.0/ports")["ports"]) >= n + 2: break
    time.sleep(0.1)
sid = call("POST", "/v2.0/taas/tap_services", {"tap_service": {"name": "t1", "port_id": "t1"}})["tap_service"]["id"]
while call("GET", f"/v2.0/taas/tap_services/{sid}")["tap_service"]["status"] != "ACTIVE": time.sleep(0.01)
lat = []
for i in range(1, n + 1):
    t = time.perf_counter()
    fid = call("POST", "/v2.0/taas/tap_flows", {"tap_flow": {"tap_service_id": sid, "source_port": f"s{i}", "direction": "BOTH"}})["tap_flow"]["id"]
    while call("GET", f"/v2.0/taas/tap_flows/{fid}")["tap_flow"]["status"] != "ACTIVE": pass
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print("| creations | p50 | p90 | p99 | max |")
print("| --- | --- | --- | --- | --- |")
print(f"| {n} | {q(0.5):.1f} ms | {q(0.9):.1f} ms | {q(0.99):.1f} ms | {lat[-1]:.1f} ms |")
PY
