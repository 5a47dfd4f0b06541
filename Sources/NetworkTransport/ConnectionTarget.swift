/// Where OpenFlow connections come from, in Open vSwitch's own syntax (`ovs-vsctl
/// set-controller`): passive targets listen for bridges, active ones dial bridges that listen.
public enum ConnectionTarget: Hashable, Sendable, CustomStringConvertible {
    /// `ptcp:[PORT][:IP]`: listen on TCP (default port 6653, all addresses).
    case passiveTCP(port: Int, host: String)
    /// `pssl:[PORT][:IP]`: listen on TCP with TLS.
    case passiveSSL(port: Int, host: String)
    /// `punix:PATH`: listen on a unix socket.
    case passiveUnix(path: String)
    /// `tcp:IP[:PORT]`: dial a bridge configured with `ptcp:`.
    case activeTCP(host: String, port: Int)
    /// `ssl:IP[:PORT]`: dial with TLS.
    case activeSSL(host: String, port: Int)
    /// `unix:PATH`: dial a unix socket (a bridge's management socket, for example).
    case activeUnix(path: String)

    public static let defaultPort = 6653

    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var target: String
        public var problem: String
        /// What kind of target it was meant to be ("OpenFlow", "OVSDB").
        public var protocolName = "OpenFlow"
        public var description: String { "bad \(protocolName) target \"\(target)\": \(problem)" }
    }

    /// Parses `ptcp:6653`, `ptcp:6653:127.0.0.1`, `pssl:6653`, `punix:/run/taasd.sock`,
    /// `tcp:192.0.2.1:6653`, `ssl:[2001:db8::1]:6653`, `unix:/var/run/openvswitch/br-int.mgmt`.
    public init(parsing text: String, defaultPort: Int = Self.defaultPort, protocolName: String = "OpenFlow") throws(ParseError) {
        func fail(_ problem: String) -> ParseError { ParseError(target: text, problem: problem, protocolName: protocolName) }
        guard let colon = text.firstIndex(of: ":") else {
            throw fail("expected KIND:ARGS with KIND one of ptcp, pssl, punix, tcp, ssl, unix")
        }
        let kind = text[..<colon]
        let rest = String(text[text.index(after: colon)...])
        switch kind {
        case "punix", "unix":
            guard !rest.isEmpty else { throw fail("missing socket path") }
            self = kind == "punix" ? .passiveUnix(path: rest) : .activeUnix(path: rest)
        case "ptcp", "pssl":
            // PORT[:IP], both optional; an IPv6 address is bracketed.
            let (portText, hostText) = Self.split(rest)
            let port = try Self.port(portText ?? "", default: defaultPort, fail)
            let host = try Self.host(hostText ?? "", default: "0.0.0.0", fail)
            self = kind == "ptcp" ? .passiveTCP(port: port, host: host) : .passiveSSL(port: port, host: host)
        case "tcp", "ssl":
            // IP[:PORT]
            let (hostText, portText) = Self.split(rest)
            guard let h = hostText, !h.isEmpty else { throw fail("missing address") }
            let host = try Self.host(h, default: "", fail)
            let port = try Self.port(portText ?? "", default: defaultPort, fail)
            self = kind == "tcp" ? .activeTCP(host: host, port: port) : .activeSSL(host: host, port: port)
        default:
            throw fail("unknown kind \"\(kind)\" (expected ptcp, pssl, punix, tcp, ssl or unix)")
        }
    }

    /// Splits `A:B` where either side may be a bracketed IPv6 address.
    static func split(_ s: String) -> (String?, String?) {
        if s.isEmpty { return (nil, nil) }
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let first = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            return (first, after.hasPrefix(":") ? String(after.dropFirst()) : nil)
        }
        guard let c = s.firstIndex(of: ":") else { return (s, nil) }
        let second = String(s[s.index(after: c)...])
        if second.hasPrefix("[") && second.hasSuffix("]") { return (String(s[..<c]), String(second.dropFirst().dropLast())) }
        return (String(s[..<c]), second)
    }

    static func port(_ s: String, default d: Int, _ fail: (String) -> ParseError) throws(ParseError) -> Int {
        if s.isEmpty { return d }
        guard let p = Int(s), (0...65535).contains(p) else { throw fail("port \"\(s)\" is not a number from 0 to 65535") }
        return p
    }

    static func host(_ s: String, default d: String, _ fail: (String) -> ParseError) throws(ParseError) -> String {
        if s.isEmpty { return d }
        let ok = s.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" || $0.isLetter || $0 == "-" }
        guard ok else { throw fail("address \"\(s)\" is not an IP address or host name") }
        return s
    }

    public var isPassive: Bool {
        switch self {
        case .passiveTCP, .passiveSSL, .passiveUnix: true
        default: false
        }
    }

    public var usesTLS: Bool {
        switch self {
        case .passiveSSL, .activeSSL: true
        default: false
        }
    }

    public var description: String {
        func h(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
        switch self {
        case .passiveTCP(let port, let host): return "ptcp:\(port):\(h(host))"
        case .passiveSSL(let port, let host): return "pssl:\(port):\(h(host))"
        case .passiveUnix(let path): return "punix:\(path)"
        case .activeTCP(let host, let port): return "tcp:\(h(host)):\(port)"
        case .activeSSL(let host, let port): return "ssl:\(h(host)):\(port)"
        case .activeUnix(let path): return "unix:\(path)"
        }
    }
}
