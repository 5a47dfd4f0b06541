#!/usr/bin/env bash
# Restart with many tap flows installed on a real bridge: how long until every status is ACTIVE
# again, and how many flow_mods the new taasd sends (the target is none). One userspace node
# (taas-lab), SOURCES internal ports each tapped into every one of SERVICES tap services:
# SOURCES × SERVICES tap flows (default 500 × 20 = 10,000). taasd is a release build, restarted
# once, with the bridge dialing taasd as deployments do. Needs root.
# Usage: scripts/bench-restart.sh [SOURCES] [SERVICES]
#   TAAS_RESTART_BIN=PATH restarts into that taasd (another build, for a side-by-side run).
set -euo pipefail
cd "$(dirname "$0")/.."
sources=${1:-500}
services=${2:-20}
source scripts/bench-lab.sh
bench_lab_up trs 1 release
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

# Restarts taasd (release build) with the same database and settings and prints one row: the time from the old process's exit to every
# status ACTIVE, split by the new process's log into taasd starting to listen, the switch
# connecting, and the read-back to ACTIVE; and what the new process sent.
# With a second argument, the new taasd dials that OpenFlow target instead of listening; a third
# names the log message that says the bridge was read back (default: it held its program).
restart() {
    local how=$1 dial=${2:-} expect=${3:-bridge already holds its program} pid mark stop t newpid back mods groups bundles after split i
    echo "==> restarting taasd ($how)" >&2
    pid=$(python3 -c "import json; print(json.load(open('$dir/lab.json'))['taasdPID'])")
    mapfile -d '' cmd < "/proc/$pid/cmdline"
    if [ -n "$dial" ]; then
        for i in "${!cmd[@]}"; do [ "${cmd[$i]}" = --openflow ] && cmd[$((i + 1))]=$dial; done
    fi
    cmd+=(--log-format json)   # timestamps to the millisecond, for the split
    # TAAS_RESTART_BIN=PATH: restart into another build of taasd (two builds side by side).
    [ -n "${TAAS_RESTART_BIN:-}" ] && cmd[0]=$TAAS_RESTART_BIN
    mark=$(wc -l < "$dir/taasd.log")
    stop=$(now)
    kill -TERM "$pid"
    # Gone, or a zombie its parent has not reaped yet (taas-lab's taasd is reparented to init,
    # which may reap it a second or two later): either way its sockets are closed.
    while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do sleep 0.01; done
    t=$(now)
    # Started at once: anything the script does first (a python3 through pyenv's shim takes
    # 0.2 s here) would be counted as taasd's.
    setsid "${cmd[@]}" >>"$dir/taasd.log" 2>&1 < /dev/null &
    newpid=$!
    # (sed, not python3: the interpreter's start would compete with taasd's for the two cores)
    sed -i -E "s/\"taasdPID\" *: *[0-9]+/\"taasdPID\": $newpid/" "$dir/lab.json"
    grep -q "\"taasdPID\": $newpid" "$dir/lab.json" || { echo "cannot record taasd's new pid in $dir/lab.json" >&2; kill "$newpid"; exit 1; }
    # Ready again: the bridge was read back and found to hold its program (logged), a reconcile
    # pass counted, and every status ACTIVE. Polled from one process, a few milliseconds a round.
    python3 - "$base" "$dir/taasd.log" "$mark" "$want" "$services" "$expect" <<'PY'
import json, sys, time, urllib.request
base, log, mark, want, services, expect = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None
deadline = time.time() + float(__import__('os').environ.get('BENCH_RESTART_DEADLINE', '300'))
while True:
    if time.time() > deadline:
        with open(log) as f:
            print("".join(f.readlines()[mark:][-20:]), file=sys.stderr)
        sys.exit(f"the restarted taasd did not find the bridge holding its program with every status ACTIVE within 300 s (status: {get('/v2.0/taas/status')})")
    time.sleep(0.005)
    with open(log) as f:
        held = any(expect in line for line in f.readlines()[mark:])
    if not held:
        continue
    metrics = get("/metrics") or ""
    if not any(line.startswith("taas_reconcile_runs_total ") and float(line.split()[1]) >= 1 for line in metrics.splitlines()):
        continue
    s = json.loads(get("/v2.0/taas/status") or '{"status": {}}').get("status", {})
    if s.get("tap_flows", {}).get("ACTIVE") == want and s.get("tap_services", {}).get("ACTIVE") == services and s.get("openflow_connected") == 1:
        break
PY
    back=$(python3 -c "print(f'{$(now) - $t:.2f}')")
    stop=$(python3 -c "print(f'{$t - $stop:.2f}')")
    mods=$(metric taas_flow_mods_sent_total); groups=$(metric taas_group_mods_sent_total); bundles=$(metric taas_bundles_committed_total)
    after=$(flowcount)
    # Open vSwitch's side of the reconnection, for the record.
    sed -n "/connection closed by peer/,\$p" "$dir/n1/ovs-vswitchd.log" | grep rconn | tail -n 6 >&2
    split=$(tail -n "+$((mark + 1))" "$dir/taasd.log" | python3 -c '
import datetime, json, sys
t0, seen = float(sys.argv[1]), {}
for line in sys.stdin:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    seen.setdefault(d.get("message"), datetime.datetime.fromisoformat(d["time"].replace("Z", "+00:00")).timestamp())
ready = seen["switch ready"]
listen = seen.get("listening for switches", seen.get("connected to switch", ready))
print(f"{listen - t0:.2f} s | {ready - listen:.2f} s | {float(sys.argv[2]) - (ready - t0):.2f} s")
' "$t" "$back")
    echo "| $how | $want | $flows | ${stop} s | ${back} s | $split | ${mods:-0} | ${groups:-0} | ${bundles:-0} | $after |"
}

echo "| restart | tap flows | flows on the bridge | SIGTERM to exit | exit to every status ACTIVE | taasd listening | the switch connects | read-back to all ACTIVE | flow_mods sent | group_mods sent | bundles | flows after |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
# The bridge dials taasd (ovs-vsctl set-controller br-int tcp:…): it reconnects on Open vSwitch's
# own backoff (1 s after losing its controller, then 2, 4, 8 s while nobody answers).
restart "the bridge dials taasd"
# taasd dials the bridge (ovs-vsctl set-controller br-int punix:… or ptcp:…, taasd --openflow
# unix:… or tcp:…), as ovn-controller dials its bridge: no backoff on the switch's side.
# Going from a primary controller to only passive targets makes Open vSwitch flush the bridge's
# flows once (connmgr does so whenever a bridge gains or loses its last primary controller), so
# the first taasd to dial reprograms it; the restart after that is the one that counts.
vsctl set-controller br-int "punix:$dir/n1/br-int.taasd"
restart "switching to taasd dialing (the bridge was flushed)" "unix:$dir/n1/br-int.taasd" "bridge programmed"
restart "taasd dials the bridge" "unix:$dir/n1/br-int.taasd"
