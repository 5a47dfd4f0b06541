#!/usr/bin/env python3
"""Writes a topology file (taasd --topology, switch-sim --topology) for simulated benchmarks.

  scripts/sim-topology.py NODES VMS > topology.yaml

Nodes n1..nNODES (datapath id = the node number, encap IP 10.x.y.z), each with ports vm1..vmVMS
(iface-id nI-vmJ); node n1 also has the tap service's port `tap` (iface-id tap, untagged). Node I's
ports are on VLAN ((I - 1) mod 4094) + 1: each network spans few nodes, as in a cloud. (Were all
ports on one network, every node would hold flows for every IN-mirrored port of that network: the
copy of a frame to a remote port is decided where the frame enters, so it is made once.)
"""
import sys

if len(sys.argv) != 3 or not all(a.isdigit() and int(a) > 0 for a in sys.argv[1:]):
    sys.exit("usage: sim-topology.py NODES VMS   (both positive integers)")
nodes, vms = int(sys.argv[1]), int(sys.argv[2])
if nodes >= 1 << 24 or vms >= 1 << 16:
    sys.exit("at most 16,777,215 nodes and 65,535 VMs per node")
out = ["nodes:"]
for i in range(1, nodes + 1):
    out.append(f'  - {{id: n{i}, datapath_id: "{i:016x}", encap_ip: 10.{i >> 16}.{(i >> 8) & 255}.{i & 255}}}')
out.append("ports:")
out.append('  - {id: tap, node: n1, name: tap, mac: "02:ff:00:00:00:01"}')
for i in range(1, nodes + 1):
    for j in range(1, vms + 1):
        out.append(f'  - {{id: n{i}-vm{j}, node: n{i}, name: vm{j}, mac: "02:{i >> 16:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}:{j >> 8:02x}:{j & 255:02x}", vlan: {(i - 1) % 4094 + 1}}}')
print("\n".join(out))
