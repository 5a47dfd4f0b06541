#!/usr/bin/env python3
"""Drives taasd's REST API with the stock OpenStack SDK, unchanged: create, list, show, update
and delete of tap services and tap flows. Usage: openstacksdk_crud.py URL PORT_ID PORT_ID PORT_ID"""
import sys

import openstack
from openstack import exceptions

url, analyzer, web, db = sys.argv[1:5]
conn = openstack.connection.Connection(auth_type="none", network_endpoint_override=url)
net = conn.network

ts = net.create_tap_service(name="analyzer", description="main", port_id=analyzer)
assert ts.id and ts.name == "analyzer" and ts.port_id == analyzer and ts.status == "DOWN", ts
assert [s.id for s in net.tap_services()] == [ts.id]
assert net.get_tap_service(ts.id).description == "main"
assert net.find_tap_service("analyzer").id == ts.id

tf = net.create_tap_flow(name="web", tap_service_id=ts.id, source_port=web, direction="BOTH", vlan_filter="9,18,27-36")
assert tf.direction == "BOTH" and tf.source_port == web and tf.tap_service_id == ts.id, tf
tf2 = net.create_tap_flow(name="db", tap_service_id=ts.id, source_port=db, direction="IN")
assert sorted(f.name for f in net.tap_flows()) == ["db", "web"]
assert [f.name for f in net.tap_flows(direction="IN")] == ["db"]

ts = net.update_tap_service(ts, name="renamed")
assert net.get_tap_service(ts.id).name == "renamed"
tf = net.update_tap_flow(tf, description="port 80 traffic")
assert net.get_tap_flow(tf.id).description == "port 80 traffic"

try:
    net.create_tap_flow(tap_service_id=ts.id, source_port=analyzer, direction="OUT")
    raise SystemExit("a tap service's own port was accepted as a source")
except exceptions.ConflictException:
    pass

net.delete_tap_flow(tf2)
assert [f.id for f in net.tap_flows()] == [tf.id]
net.delete_tap_service(ts)
assert list(net.tap_services()) == [] and list(net.tap_flows()) == []
print("OK")
