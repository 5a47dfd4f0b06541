#!/usr/bin/env bash
# Runs every test of the project. On a fresh Debian machine it first installs what the
# tests drive for real: Open vSwitch, tcpdump, iproute2, ethtool, ping, iperf3, PostgreSQL (the tests
# start private servers of their own); and SQLite's headers for GRDB.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have ovs-vsctl || missing+=(openvswitch-switch)
have tcpdump || missing+=(tcpdump)
have ip || missing+=(iproute2)
have ethtool || missing+=(ethtool)
have iperf3 || missing+=(iperf3)
have ping || missing+=(iputils-ping)
have curl || missing+=(curl)
have openssl || missing+=(openssl)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
[ -e /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
have python3 || missing+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
# uWSGI (Keystone's server in the tests) is built from source by pip.
have gcc || missing+=(gcc)
[ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)/Python.h" ] || missing+=(python3-dev)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# OpenStack's own tools, from PyPI in a virtual environment: the SDK and the CLI (whose tap
# service|flow|mirror commands are TaaS's), Keystone under uWSGI, which the tests start, and
# schemathesis, which tests the API against its OpenAPI document.
venv=.build/osdk-venv
if [ ! -x "$venv/bin/uwsgi" ] || [ ! -x "$venv/bin/st" ] || ! "$venv/bin/python" -c "import openstack, openstackclient, keystone" 2>/dev/null; then
    echo "installing openstacksdk, python-openstackclient, keystone, uwsgi and schemathesis into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q openstacksdk python-openstackclient keystone uwsgi schemathesis >&2
fi

# With arguments (e.g. --filter LabTests), exactly those tests. Without: the unit tests first
# (every module's, side by side), then the end-to-end tests, which run real Open vSwitch, the
# daemons and the real clients against deadlines: alone, so that CPU-heavy unit tests (the
# engine's model-based test) never starve them.
if (($#)); then
    exec swift test "$@"
fi
swift build --build-tests
swift test --skip-build --skip EndToEndTests
swift test --skip-build --filter EndToEndTests
