#!/usr/bin/env bash
# Policy to data plane: the time from `POST /v2.0/taas/tap_flows` to the tap flow being ACTIVE
# (its flows confirmed by every bridge involved), one creation after another, on one real
# userspace bridge (taas-lab). Each tap flow has a source port of its own, so each creation
# changes the bridge's program. Needs root. Usage: scripts/bench-latency.sh [CREATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
source scripts/bench-lab.sh
bench_lab_up tlt 1
add_internal_ports s "$n" 100 02:aa:00:00
add_internal_ports t 1 8999 02:bb:00:00
python3 - "$base" "$n" <<'PY'
import json, sys, time, urllib.request, statistics
base, n = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, "scripts")
from taas_api import call as api
def call(method, path, body=None):
    return api(base, method, path, body, timeout=60)
# Every port in the inventory: the service's port (added last) among them, not just as many ports.
for _ in range(600):
    ids = {p["id"] for p in call("GET", "/v2.0/ports")["ports"]}
    if "t1" in ids and f"s{n}" in ids: break
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
