import ArgumentParser
import Foundation
import LabKit
import TaaSWire

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mirror one VM's traffic to a tap VM on another node and show the copies arriving, the flows and a packet's path.")

    @OptionGroup var location: LabLocation
    @Option(help: "Pings to send.") var count = 5

    func run() throws {
        try Preflight.requireRoot("demo")
        var record = try location.load()
        guard let port = record.apiPort, let pid = record.taasdPID, kill(pid, 0) == 0 else {
            throw LabError("the lab's taasd is not running; rebuild with `sudo taas-lab down && sudo taas-lab up`")
        }
        var api = LabAPI(port: port)
        // With replicas, the leader is killed while the pings go: the copies must not stop.
        let failover = (record.replicas?.count ?? 0) > 1
        let vms = Dictionary(record.vms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let nodeCount = record.nodes.count
        guard let tap = vms[Names.tap(node: 1)], let source = vms[Names.vm(node: min(2, nodeCount), index: 1)],
              let peer = vms[Names.vm(node: nodeCount >= 3 ? 3 : 1, index: 1)] else {
            throw LabError("the lab lacks the demo's VMs; rebuild it with `sudo taas-lab down && sudo taas-lab up`")
        }

        step("policy: a tap service on \(Names.display(tap)), a BOTH tap flow on \(Names.display(source))")
        // A demo run before leaves its objects: they go first (the flow with its service).
        let services = try api.get("/v2.0/taas/tap_services?name=demo", Many<TapServiceInfo, TapServiceInfo>.self).values
        for s in services { try api.delete("/v2.0/taas/tap_services/\(s.id)") }
        let serviceID = try api.create(TapServiceCreate(portIDs: [tap.ifaceID], name: "demo")).id
        let flowID = try api.create(TapFlowCreate(tapServiceID: serviceID, sourcePort: source.ifaceID, direction: "BOTH", name: "demo")).id
        note("tap service \(serviceID) → port \(tap.ifaceID)")
        note("tap flow \(flowID): BOTH directions of \(source.ifaceID)")
        try wait("the tap flow to be ACTIVE (flows confirmed on node\(source.node) and node\(tap.node))", seconds: 30, log: nil) {
            (try? api.get("/v2.0/taas/tap_flows/\(flowID)", One<TapFlowInfo, TapFlowInfo>.self))?.value.status == "ACTIVE"
        }

        let pings = failover ? max(count, 50) : count
        step("capturing at \(Names.display(tap)) while \(Names.display(source)) pings \(Names.display(peer)) (\(peer.ip)) \(pings) times"
             + (failover ? ", killing the leading taasd meanwhile" : ""))
        let capture = try Capture(namespace: tap.namespace, interface: "eth0", filter: "icmp") { line in
            if !failover { print("    mirrored> \(line)") }
        }
        let pingArgs = ["netns", "exec", source.namespace, "ping", "-c", "\(pings)", "-i", failover ? "0.1" : "0.2", "-W", "2", peer.ip]
        let pingOut: String
        if failover {
            let log = "\(location.dir)/demo-ping.log"
            try? FileManager.default.removeItem(atPath: log)
            let pid = try Command.startBackground(try Command.tool("ip"), pingArgs, logPath: log)
            usleep(1_000_000)
            api = LabAPI(port: try FailoverRun.perform(&record, location: location))
            for _ in 0..<300 where kill(pid, 0) == 0 { usleep(50_000) }
            pingOut = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        } else {
            pingOut = try Command.run("ip", pingArgs).stdout
        }
        usleep(700_000)
        let lines = capture.stop()
        let replies = pingOut.split(separator: "\n").filter { $0.contains("bytes from") }.count
        note("ping: \(replies) of \(pings) replies (the original traffic is untouched)")
        let requests = lines.filter { $0.contains("\(source.ip) > \(peer.ip)") && $0.contains("echo request") }.count
        let answers = lines.filter { $0.contains("\(peer.ip) > \(source.ip)") && $0.contains("echo reply") }.count
        print("    \(lines.count) mirrored packets reached \(Names.display(tap)): \(requests) echo requests \(Names.display(source)) sent (OUT), "
            + "\(answers) echo replies it received (IN)")
        if failover {
            note(requests == pings ? "no copy was lost across the failover" : "\(pings - requests) echo requests were not copied")
        }

        step("the flows taasd installed on node\(source.node) (ovs-ofctl dump-flows, taasd's cookies only)")
        let node = OVSNode(attaching: record.nodes[source.node - 1].name, dir: record.nodes[source.node - 1].dir)
        node.detached = true
        let flows = (try? node.ofctl("dump-flows", ["cookie=0x7aa5000000000000/0xffff000000000000"], options: ["--no-stats"])) ?? ""
        for line in flows.split(separator: "\n") where !line.contains("reply") { note(String(line)) }

        step("the path of one echo request (ovs-appctl ofproto/trace on node\(source.node))")
        let packet = "in_port=\(source.ofport),icmp,dl_src=\(source.mac),dl_dst=\(peer.mac),nw_src=\(source.ip),nw_dst=\(peer.ip),icmp_type=8"
        note("packet: \(packet)")
        let trace = (try? node.appctl(["ofproto/trace", "br-int", packet])) ?? ""
        for line in trace.split(separator: "\n") where Self.interesting(line) { note(String(line)) }

        step("counters taasd read from the switch (GET /v2.0/taas/tap_flows/\(flowID)/statistics)")
        var stats: TapFlowStatistics?
        // taasd reads the counters every 2 s in the lab: wait for a read that has every copy shown above.
        try? wait("a statistics read that includes the pings", seconds: 10, log: nil) {
            stats = (try? api.get("/v2.0/taas/tap_flows/\(flowID)/statistics", TapFlowStatistics.Envelope.self))?.statistics
            return (stats?.packets ?? 0) >= lines.count
        }
        note("mirrored packets \(stats?.packets ?? 0), bytes \(stats?.bytes ?? 0) (every frame the tap flow copied, ARP included)")

        guard requests > 0 && answers > 0 else {
            print("""

                No copies arrived. Look at: taasd's log (\(location.dir)/taasd.log), `sudo taas-lab status`, and the trace above.
                """)
            throw ExitCode.failure
        }
        print("""

            Mirroring works: every frame \(Names.display(source)) sent and received was copied once to \(Names.display(tap)), across a \
            \(record.tunnelType ?? "vxlan") tunnel from node\(source.node) to node\(tap.node).
            Try more: sudo taas-lab shell \(Names.display(tap)) (then tcpdump -n -i eth0), and
                      TAAS_URL=http://127.0.0.1:\(port) swift run taasctl tap flow show demo
            """)
    }

    /// The lines of a trace that say where the packet went.
    static func interesting(_ line: Substring) -> Bool {
        let l = line.trimmingCharacters(in: .whitespaces)
        let tableEntry = l.first?.isNumber == true && l.contains(". ")
        return tableEntry || l.hasPrefix("bridge(") || l.contains("cookie=") || l.contains("output:") || l.contains("group:") || l.contains("set_field")
            || l.hasPrefix("Datapath actions") || l.contains("-> Sets") || l.hasPrefix("Final flow")
    }
}
