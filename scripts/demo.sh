#!/usr/bin/env bash
# The main job, from a fresh clone: builds taasd, builds a three-node lab of real Open vSwitch on
# this machine (taas-lab installs openvswitch-switch, tcpdump and friends with apt-get when
# missing), and mirrors one VM's traffic to a tap VM on another node, showing the copies live.
# The lab stays up to explore; `sudo .build/debug/taas-lab down` removes it. --down removes it
# at the end. Needs root for the lab (namespaces, Open vSwitch); uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

down=0
[ "${1:-}" = "--down" ] && down=1
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
have() { command -v "$1" >/dev/null 2>&1; }
if ! [ -e /usr/include/sqlite3.h ] || ! have curl; then
    echo "==> installing libsqlite3-dev and curl (needed to build and to talk to the API)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libsqlite3-dev curl
fi

echo "==> building taasd, taasctl and taas-lab (the first build takes a few minutes)"
swift build --product taasd
swift build --product taasctl
swift build --product taas-lab
lab=.build/debug/taas-lab

if ! $sudo "$lab" status >/dev/null 2>&1; then
    # A lab whose record is left but whose parts are gone is cleared first.
    [ -e /run/taas-lab/lab.json ] && $sudo "$lab" down >/dev/null 2>&1 || true
    $sudo "$lab" up
fi
status=0
$sudo "$lab" demo || status=$?
if [ "$down" -eq 1 ]; then
    $sudo "$lab" down
else
    echo
    echo "The lab is still up: sudo $lab status | shell node2/vm1 | down"
fi
exit "$status"
