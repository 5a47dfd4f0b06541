# Sourced by the end-to-end benchmark scripts: one taas-lab node with taasd, and helpers.
# bench_lab_up PREFIX VMS [CONFIG]
#                           builds taasd and taas-lab (CONFIG debug, the default: only the control
#                           plane runs them; release where taasd's own time is measured) and
#                           brings up one node; sets name, dir, port, base, lab; removes it on exit
#                           (after bench_lab_cleanup_extra, when a script defines one).
# add_internal_ports NAME COUNT FIRST_OFPORT MAC_PREFIX
#                           adds NAME1..NAMECOUNT as internal ports with iface-ids and MACs
#                           MAC_PREFIX:HH:LL, in one OVSDB transaction.
bench_lab_up() {
    local config=${3:-debug}
    swift build -c "$config" --product taasd >&2
    swift build -c "$config" --product taas-lab >&2
    name=$1$((RANDOM % 10000))
    dir=/tmp/$name
    port=$((20000 + RANDOM % 20000))
    base=http://127.0.0.1:$port
    lab=.build/$config/taas-lab
    $lab up --dir "$dir" --name "$name" --nodes 1 --vms "$2" --api-port "$port" >&2
    trap 'declare -F bench_lab_cleanup_extra >/dev/null && bench_lab_cleanup_extra; $lab down --dir "$dir" >/dev/null 2>&1 || true' EXIT
}

vsctl() { ovs-vsctl --db="unix:$dir/n1/db.sock" --timeout=300 "$@"; }

add_internal_ports() {
    local args=() i
    for i in $(seq "$2"); do
        args+=(-- add-port br-int "$1$i" -- set interface "$1$i" type=internal "ofport_request=$(($3 + i))"
               "external_ids:iface-id=$1$i" "external_ids:attached-mac=$(printf '%s:%02x:%02x' "$4" $((i / 256)) $((i % 256)))")
    done
    vsctl "${args[@]}"
}
