#!/usr/bin/env bash
# Restart with many tap flows installed on a real bridge: how long until every status is ACTIVE
# again, and how many flow_mods the new taasd sends (the target is none). One userspace node
# (taas-lab), SOURCES internal ports each tapped into every one of SERVICES tap services:
# SOURCES × SERVICES tap flows (default 500 × 20 = 10,000). Needs root.
# Usage: scripts/bench-restart.sh [SOURCES] [SERVICES]
set -euo pipefail
cd "$(dirname "$0")/.."
sources=${1:-500}
services=${2:-20}
source scripts/bench-lab.sh
bench_lab_up trs 1
now() { date +%s.%N; }
flowcount() { ovs-ofctl -O OpenFlow13 dump-aggregate "unix:$dir/n1/br-int.mgmt" | sed -E 's/.*flow_count=([0-9]+).*/\1/'; }
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

echo "==> $((sources + services)) ports on br-int (internal, with iface-ids)" >&2
add_internal_ports s "$sources" 100 02:aa:00:00
add_internal_ports t "$services" 5000 02:bb:00:00

echo "==> $services tap services and $((sources * services)) tap flows, in bulk" >&2
python3 - "$base" "$sources" "$services" <<'PY'
import json, sys, time, urllib.request
base, sources, services = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, "scripts")
from taas_api import call as api
def call(method, path, body=None):
    return api(base, method, path, body, timeout=120)
for _ in range(600):
    if len(call("GET", "/v2.0/ports")["ports"]) >= sources + services + 2: break
    time.sleep(0.1)
svc = call("POST", "/v2.0/taas/tap_services", {"tap_services": [{"name": f"t{i}", "port_id": f"t{i}"} for i in range(1, services + 1)]})
ids = [s["id"] for s in svc["tap_services"]]
flows = [{"tap_service_id": sid, "source_port": f"s{i}", "direction": "BOTH"} for i in range(1, sources + 1) for sid in ids]
for k in range(0, len(flows), 1000):
    call("POST", "/v2.0/taas/tap_flows", {"tap_flows": flows[k:k + 1000]})
PY
want=$((sources * services))
all_active() {
    curl -s "$base/v2.0/taas/status" | python3 -c "import json,sys; s=json.load(sys.stdin)['status']; print(1 if s['tap_flows']['ACTIVE'] == $want and s['tap_services']['ACTIVE'] == $services and s['openflow_connected'] == 1 else 0)"
}
t=$(now)
until [ "$(all_active)" = 1 ]; do sleep 0.2; done
first=$(python3 -c "print(f'{$(now) - $t:.1f}')")
flows=$(flowcount)
echo "==> installed: $flows flows on br-int; every tap flow ACTIVE ${first} s after the last creation" >&2

echo "==> restarting taasd" >&2
pid=$(python3 -c "import json; print(json.load(open('$dir/lab.json'))['taasdPID'])")
mapfile -d '' cmd < "/proc/$pid/cmdline"
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
t=$(now)
setsid "${cmd[@]}" >>"$dir/taasd.log" 2>&1 < /dev/null &
newpid=$!
python3 - "$dir/lab.json" "$newpid" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["taasdPID"] = int(sys.argv[2]); json.dump(r, open(sys.argv[1], "w"))
PY
# Ready again: the bridge was read back and found to hold its program, and every status is ACTIVE.
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] \
    && [ "$(metric taas_reconcile_runs_total)" != "" ] && [ "$(metric taas_reconcile_runs_total)" -ge 1 ] \
    && grep -q "bridge already holds its program" <(tail -n 50 "$dir/taasd.log") \
    && [ "$(all_active)" = 1 ]; do sleep 0.05; done
back=$(python3 -c "print(f'{$(now) - $t:.2f}')")
mods=$(metric taas_flow_mods_sent_total); groups=$(metric taas_group_mods_sent_total); bundles=$(metric taas_bundles_committed_total)
after=$(flowcount)
echo "| tap flows | flows on the bridge | restart to every status ACTIVE | flow_mods sent | group_mods sent | bundles | flows after |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
echo "| $want | $flows | ${back} s | ${mods:-0} | ${groups:-0} | ${bundles:-0} | $after |"
