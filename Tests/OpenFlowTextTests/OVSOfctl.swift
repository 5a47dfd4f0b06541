import Foundation
import OpenFlow
import TaaSTestSupport

/// The real `ovs-ofctl` for the comparison tests.
enum OVSOfctl {
    /// Fails with an install hint when Open vSwitch is missing, so the comparison tests never pass vacuously.
    static func requireInstalled() throws { _ = try Command.tool("ovs-ofctl") }

    static func run(_ args: [String]) throws -> Command.Output { try Command.run("ovs-ofctl", args) }

    /// `parse-flow` of one line: the flow-mod text after `ADD ` and the message bytes.
    static func parseFlow(_ line: String) throws -> (text: String, bytes: [UInt8]) {
        let r = try run(["-O", "OpenFlow13", "-mmmmm", "parse-flow", line])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        guard r.status == 0, let head = lines.first(where: { $0.hasPrefix("OFPT_FLOW_MOD (OF1.3) (xid=0x1): ADD") }) else {
            throw Failure(message: "ovs-ofctl parse-flow \(line) failed: \(r.stderr) \(r.stdout)")
        }
        let text = String(head.dropFirst("OFPT_FLOW_MOD (OF1.3) (xid=0x1): ADD".count)).trimmingCharacters(in: .whitespaces)
        return (text, hexDump(lines))
    }

    /// Bytes from the `-m` hex dump lines (`00000000  04 0e 00 48 …-… |…|`).
    static func hexDump(_ lines: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for l in lines {
            guard l.count > 10, l.prefix(8).allSatisfy(\.isHexDigit), l.dropFirst(8).hasPrefix("  ") else { continue }
            let body = l.dropFirst(10).prefix { $0 != "|" }
            for part in body.replacingOccurrences(of: "-", with: " ").split(separator: " ") {
                if let b = UInt8(part, radix: 16) { bytes.append(b) }
            }
        }
        return bytes
    }

    /// `ofp-print` of an encoded message.
    static func ofpPrint(_ bytes: [UInt8]) throws -> String {
        let r = try run(["ofp-print", hex(bytes)])
        guard r.status == 0 else { throw Failure(message: "ofp-print failed: \(r.stderr)") }
        return r.stdout
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.hex }

    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Turns `parse-flow`'s flow-mod header (`table:3 … cookie:0x1f idle:30 hard:60 send_flow_rem …`)
    /// into the dump-flows order (`cookie=0x1f, table=3, idle_timeout=30, hard_timeout=60, send_flow_rem …`).
    static func dumpForm(fromFlowMod text: String) -> String {
        guard let a = text.range(of: "actions=") else { return text }
        var cookie = "", table = "", idle = "", hard = "", flags = "", match = ""
        for word in text[..<a.lowerBound].split(separator: " ") {
            if word.hasPrefix("table:") { table = "table=\(word.dropFirst(6)), " }
            else if word.hasPrefix("cookie:") { cookie = "cookie=\(word.dropFirst(7)), " }
            else if word.hasPrefix("idle:") { idle = "idle_timeout=\(word.dropFirst(5)), " }
            else if word.hasPrefix("hard:") { hard = "hard_timeout=\(word.dropFirst(5)), " }
            else if ["send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"].contains(String(word)) {
                flags += word + " "
            } else { match += (match.isEmpty ? "" : " ") + word }
        }
        return cookie + table + idle + hard + flags + (match.isEmpty ? "" : match + " ") + text[a.lowerBound...]
    }
}
