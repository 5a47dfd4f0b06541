import OVSDB
import Testing
import Topology

/// The pure parts: datums, the replica, the joined node view, managed-port plans, topology events.
@Suite struct ModelTests {
    static func replica() throws -> Replica {
        var r = Replica()
        try r.apply(try JSONParser.parse(#"""
            {"Open_vSwitch": {"o": {"new": {"external_ids": ["map", [["system-id", "n1"], ["taas-encap-ip", "192.0.2.1"], ["hostname", "h1"]]],
                                            "bridges": ["set", [["uuid", "b"], ["uuid", "b2"]]]}}},
             "Bridge": {"b": {"new": {"name": "br-int", "datapath_id": "00000000000000a1", "fail_mode": "secure",
                                      "ports": ["set", [["uuid", "p1"], ["uuid", "p2"]]], "controller": ["uuid", "c"]}},
                        "b2": {"new": {"name": "br-ex", "ports": ["set", []]}}},
             "Controller": {"c": {"new": {"target": "tcp:127.0.0.1:6653"}}},
             "Port": {"p1": {"new": {"name": "vm1", "tag": 10, "trunks": ["set", []], "interfaces": ["uuid", "i1"], "external_ids": ["map", []]}},
                      "p2": {"new": {"name": "taas-tun", "tag": ["set", []], "interfaces": ["uuid", "i2"],
                                     "external_ids": ["map", [["taas-managed", "true"]]]}}},
             "Interface": {"i1": {"new": {"name": "vm1", "type": "", "ofport": 5, "mac_in_use": "02:00:00:00:00:99",
                                          "external_ids": ["map", [["iface-id", "port-1"], ["attached-mac", "02:00:00:00:00:01"]]],
                                          "options": ["map", []], "link_state": "up"}},
                           "i2": {"new": {"name": "taas-tun", "type": "vxlan", "ofport": 9, "external_ids": ["map", []],
                                          "options": ["map", [["remote_ip", "flow"], ["key", "flow"], ["local_ip", "192.0.2.1"]]]}}}}
            """#))
        return r
    }

    @Test func datumsParseAsRFC7047WritesThem() throws {
        #expect(try Datum(.int(5)) == .set([.integer(5)]))
        #expect(try Datum(["set", []]) == .empty)
        #expect(try Datum(["uuid", "x"]) == .set([.uuid("x")]))
        #expect(try Datum(["map", [["a", "b"]]]).stringMap == ["a": "b"])
        #expect(throws: Datum.Invalid.self) { _ = try Datum(["set", [["bogus"]]]) }
        #expect(throws: Datum.Invalid.self) { _ = try Datum(["map", [["a"]]]) }
        #expect(throws: Datum.Invalid.self) { _ = try Datum(.null) }
    }

    @Test func theReplicaJoinsIntoANodeView() throws {
        let view = NodeView(try Self.replica())
        #expect(view.systemID == "n1" && view.hostname == "h1" && view.encapIP == "192.0.2.1")
        let br = try #require(view.bridge("br-int"))
        #expect(br.datapathID == 0xa1 && br.failMode == "secure" && br.controllers == ["tcp:127.0.0.1:6653"])
        #expect(br.ports.map(\.name) == ["taas-tun", "vm1"])
        #expect(br.ports[1].tag == 10 && br.ports[1].interfaces.first?.ofport == 5)
    }

    @Test func aMalformedUpdateLeavesTheReplicaAsItWas() throws {
        var r = try Self.replica()
        let before = r
        #expect(throws: Datum.Invalid.self) {
            try r.apply(try JSONParser.parse(#"{"Port": {"p1": null}, "Interface": {"i1": {"new": {"name": ["set", [["bogus"]]]}}}}"#))
        }
        #expect(r == before)
        try r.apply(try JSONParser.parse(#"{"Port": {"p1": {"old": {}}}}"#))
        #expect(r.rows("Port")["p1"] == nil)
        #expect(NodeView(r).bridge("br-int")?.ports.map(\.name) == ["taas-tun"], "a row referenced but gone is skipped")
    }

    @Test func managedPortPlansAreIdempotentAndTouchOnlyTheirOwn() throws {
        let br = try #require(NodeView(try Self.replica()).bridge("br-int"))
        // What is there is what is wanted: nothing to do.
        #expect(ManagedPortPlan.operations(bridge: br, desired: [.tunnel(type: "vxlan", localIP: "192.0.2.1")]).isEmpty)
        // A new encap IP updates the interface in place.
        let update = ManagedPortPlan.operations(bridge: br, desired: [.tunnel(type: "vxlan", localIP: "192.0.2.2")])
        #expect(update.count == 1 && update[0]["op"] == "update" && update[0]["table"] == "Interface")
        // A new port is inserted and added to the bridge; an unwanted managed one is removed.
        let gre = ManagedPort(name: "tm-1-in", type: "gre", options: ["remote_ip": "198.51.100.1", "key": "7"])
        let ops = ManagedPortPlan.operations(bridge: br, desired: [gre])
        #expect(ops.map { $0["op"]?.string ?? "" } == ["insert", "insert", "mutate", "mutate"])
        #expect(ops[2]["mutations"]?.serialized == #"[["ports","insert",["set",[["named-uuid","p0"]]]]]"#)
        #expect(ops[3]["mutations"]?.serialized == #"[["ports","delete",["set",[["uuid","p2"]]]]]"#)
        // A port of the same name that is not ours is never touched.
        let clash = ManagedPort(name: "vm1", type: "gre", options: [:])
        #expect(ManagedPortPlan.operations(bridge: br, desired: [clash, .tunnel(type: "vxlan", localIP: "192.0.2.1")]).isEmpty)
    }

    @Test func topologyEventsSayWhatChanged() throws {
        let view = NodeView(try Self.replica())
        let a = Topology(connected: ["s1": view], openflow: [0xa1], bridge: "br-int")
        #expect(a.nodes["n1"]?.openflowConnected == true && a.nodes["n1"]?.tunnelPorts == ["taas-tun": 9])
        let p = try #require(a.ports["port-1"])
        #expect(p.ofport == 5 && p.mac == "02:00:00:00:00:01" && p.vlan == 10 && p.up)
        #expect(Topology.events(from: Topology(), to: a).map(\.description) == ["node n1 appeared", "port port-1 appeared on n1 as OpenFlow port 5, up"])

        // The session drops: the node and port stay known, disconnected and down.
        let b = Topology(connected: [:], stale: ["n1": view], openflow: [], bridge: "br-int")
        #expect(b.nodes["n1"]?.ovsdbConnected == false && b.ports["port-1"]?.up == false)
        #expect(Topology.events(from: a, to: b).map(\.description) == ["node n1 changed", "port port-1 changed (OpenFlow port 5, down)"])

        // The port shows up on another node.
        var moved = view
        moved.systemID = "n2"
        let c = Topology(connected: ["s2": moved], openflow: [], bridge: "br-int")
        #expect(Topology.events(from: a, to: c).map(\.description) == ["node n1 went away", "node n2 appeared", "port port-1 moved from n1 to n2"])
    }
}
