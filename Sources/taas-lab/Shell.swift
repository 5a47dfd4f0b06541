import ArgumentParser
import Foundation
import LabKit

struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A shell inside a VM (node2/vm1) or a node (node2).")
    @OptionGroup var location: LabLocation
    @Argument(help: "node2/vm1, node1/tap, or node2.") var target: String

    func run() throws {
        try Preflight.requireRoot("shell \(target)")
        let record = try location.load()
        let namespace: String
        if let vm = record.vms.first(where: { $0.name == Names.internalName(target) }) {
            namespace = vm.namespace
        } else if target.hasPrefix("node"), let n = Int(target.dropFirst(4)), (1...record.nodes.count).contains(n) {
            namespace = record.nodes[n - 1].name
        } else {
            let known = record.vms.map(Names.display).sorted() + (1...record.nodes.count).map { "node\($0)" }
            throw LabError("no \(target) in the lab; one of: \(known.joined(separator: ", "))")
        }
        let shell = ProcessInfo.processInfo.environment["SHELL"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "/bin/sh"
        let ip = try Command.tool("ip")
        print("Entering \(target) (namespace \(namespace)); exit to leave.")
        fflush(nil)
        let words: [String] = [ip, "netns", "exec", namespace, shell]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        execv(ip, argv)
        throw LabError("cannot run \(ip): \(String(cString: strerror(errno)))")
    }
}
