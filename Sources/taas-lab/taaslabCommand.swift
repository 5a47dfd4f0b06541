import ArgumentParser
import Foundation
import LabKit
import TaaSVersion

@main
struct TaasLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taas-lab",
        abstract: "Builds a multi-node Open vSwitch lab on this machine and runs taasd on it.",
        discussion: """
            Each node is its own ovsdb-server and userspace ovs-vswitchd in a network namespace, with VMs (namespaces with an interface on br-int) and an underlay between the nodes. taasd runs with every bridge and OVSDB pointed at it.

              sudo taas-lab up          build it (3 nodes, 2 VMs each, VXLAN; --replicas 3 for three taasd on a PostgreSQL)
              sudo taas-lab demo        mirror one VM's traffic to a tap VM on another node, live
              sudo taas-lab failover    with replicas: kill -9 the leader and watch another take over
              sudo taas-lab status      what is running
              sudo taas-lab shell node2/vm1
              sudo taas-lab down        remove everything it created, and nothing else
            """,
        version: TaaSVersion.string,
        subcommands: [Up.self, Demo.self, Failover.self, Status.self, Shell.self, Down.self]
    )

    /// Signals start unblocked and at their defaults: a parent (a test runner) may have blocked
    /// SIGINT and SIGTERM, and every tool taas-lab starts (tcpdump, which it stops with SIGINT,
    /// and taasd) would inherit that.
    static func main() {
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        main(nil)
    }
}

/// Where a lab's state lives, shared by every subcommand.
struct LabLocation: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of the lab's state, logs and run directories.", valueName: "dir"))
    var dir = "/run/taas-lab"

    var recordPath: String { "\(dir)/lab.json" }

    func load() throws -> LabRecord {
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw LabError("no lab in \(dir); build one with `sudo taas-lab up`")
        }
        do {
            return try JSONDecoder().decode(LabRecord.self, from: data)
        } catch {
            throw LabError("\(recordPath) is unreadable (\(error)); remove what is left with `sudo taas-lab down`")
        }
    }

    func save(_ record: LabRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: recordPath))
    }
}

/// Labs need root (namespaces, Open vSwitch daemons) and a few Debian packages.
enum Preflight {
    static func requireRoot(_ command: String) throws {
        guard geteuid() == 0 else {
            throw LabError("taas-lab creates network namespaces and runs Open vSwitch, which needs root: sudo taas-lab \(command)")
        }
    }

    static let tools: [(tool: String, package: String)] = [
        ("ovsdb-server", "openvswitch-switch"), ("ovs-vswitchd", "openvswitch-switch"), ("ovs-vsctl", "openvswitch-switch"),
        ("ovsdb-tool", "openvswitch-switch"), ("ovs-ofctl", "openvswitch-switch"), ("ovs-appctl", "openvswitch-switch"),
        ("tcpdump", "tcpdump"), ("ip", "iproute2"), ("ethtool", "ethtool"), ("ping", "iputils-ping"), ("curl", "curl"),
    ]

    /// Installs missing packages with apt-get, saying so; fails with the list where apt-get is absent.
    static func installMissing(_ say: (String) -> Void, postgres: Bool = false) throws {
        var missing = Set(tools.filter { (try? Command.tool($0.tool)) == nil }.map(\.package))
        if postgres && (try? PrivatePostgres.binary("initdb")).map({ FileManager.default.isExecutableFile(atPath: $0) }) != true {
            missing.insert("postgresql")
        }
        let missingList = missing.sorted()
        guard !missingList.isEmpty else { return }
        guard (try? Command.tool("apt-get")) != nil else {
            throw LabError("missing tools; install these packages: \(missingList.joined(separator: " "))")
        }
        say("installing \(missingList.joined(separator: ", ")) with apt-get")
        let env = ["DEBIAN_FRONTEND": "noninteractive"]
        _ = try? Command.run("apt-get", ["update", "-qq"], environment: env)
        let o = try Command.run("apt-get", ["install", "-y", "-qq", "--no-install-recommends"] + missingList, environment: env)
        guard o.status == 0 else { throw LabError("apt-get install \(missingList.joined(separator: " ")) failed:\n\(o.stderr)") }
    }
}

/// Lab names as people type them (node2/vm1) and as the lab makes them (n2vm1, its namespace).
enum Names {
    static func vm(node: Int, index: Int) -> String { "n\(node)vm\(index)" }
    static func tap(node: Int) -> String { "n\(node)tap" }

    /// "node2/vm1" → "n2vm1"; "node1/tap" → "n1tap"; an internal name is taken as is.
    static func internalName(_ text: String) -> String {
        let parts = text.split(separator: "/")
        guard parts.count == 2, parts[0].hasPrefix("node"), let n = Int(parts[0].dropFirst(4)) else { return text }
        return "n\(n)\(parts[1])"
    }

    static func display(_ vm: Lab.VM) -> String {
        "node\(vm.node)/" + vm.name.dropFirst("n\(vm.node)".count)
    }
}

/// Prints a step, flushed at once (a long step shows what it is waiting for).
func step(_ text: String) {
    print("==> \(text)")
    fflush(nil)
}

func note(_ text: String) {
    print("    \(text)")
    fflush(nil)
}

/// A failure while running (not a mistake in the command line): said without the usage text.
struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
