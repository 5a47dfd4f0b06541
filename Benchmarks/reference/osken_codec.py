#!/usr/bin/env python3
"""Reference for the codec benchmark: os-ken (the Python OpenFlow library under Faucet and
Neutron's OVS agent) building+encoding and decoding the same mirror FLOW_MOD.
Prints one line per operation: "<name> <operations per second>"."""
import sys
import time

from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser
from os_ken.ofproto import ofproto_parser


class Datapath:
    ofproto = ofp
    ofproto_parser = parser


def build(dp):
    match = parser.OFPMatch(in_port=1, eth_dst="aa:bb:cc:dd:ee:ff")
    actions = [parser.OFPActionOutput(3, 0), parser.OFPActionSetField(tunnel_id=0x64), parser.OFPActionOutput(100, 0)]
    inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
    m = parser.OFPFlowMod(dp, cookie=0x1234, priority=100, match=match, instructions=inst,
                          buffer_id=ofp.OFP_NO_BUFFER, out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY)
    m.set_xid(7)
    m.serialize()
    return m


def rate(fn, seconds):
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(1000):
            fn()
        n += 1000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    dp = Datapath()
    wire = bytes(build(dp).buf)
    assert len(wire) == 128, len(wire)
    version, msg_type, msg_len, xid = ofproto_parser.header(wire)
    print("wire-hex", wire.hex())
    print("encode", round(rate(lambda: build(dp), seconds)))
    print("decode", round(rate(lambda: ofproto_parser.msg(dp, version, msg_type, msg_len, xid, wire), seconds)))


if __name__ == "__main__":
    main()
