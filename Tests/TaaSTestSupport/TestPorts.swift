import Foundation
import Glibc
import Synchronization

/// Loopback TCP ports for daemons the tests start. Picked below the kernel's ephemeral range
/// (32768–60999 by default, where any outgoing connection may hold a port), checked free by binding
/// each one, and never handed out twice in one test process, so suites running side by side
/// never collide. A random pick collided twice in CI: "Address already in use".
public enum TestPorts {
    private static let given = Mutex<Set<Int>>([])

    /// `count` consecutive free ports; returns the first.
    public static func block(_ count: Int = 1) -> Int {
        for _ in 0..<2000 {
            let base = Int.random(in: 10_000...(32_000 - count))
            let ports = base..<(base + count)
            let claimed = given.withLock { taken -> Bool in
                guard !ports.contains(where: taken.contains), ports.allSatisfy(bindable) else { return false }
                taken.formUnion(ports)
                return true
            }
            if claimed { return base }
        }
        // Nothing found in 2000 tries: the last pick fails in the daemon with its own message.
        return Int.random(in: 10_000...(32_000 - count))
    }

    /// True when nothing holds `port` on 127.0.0.1 (no listener, no connection in TIME_WAIT on it).
    static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
