import Foundation
import TaaSTestSupport
import Testing

/// Programs the tests start inherit nothing but stdin, stdout and stderr: a descriptor leaked into
/// a long-lived child (Foundation's Process watches a socket per child it started) once kept an
/// exit from being seen, and a whole run hung.
@Suite struct CommandTests {
    @Test func aChildGetsOnlyTheStandardDescriptors() throws {
        // Descriptors open here, not close-on-exec, as another thread's might be at any moment.
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let listing = try Command.check("sh", ["-c", "ls /proc/$$/fd"])
        let fds = Set(listing.split(separator: "\n").compactMap { Int32($0) })
        #expect(fds.isSubset(of: [0, 1, 2, 255]) && !fds.contains(pair[0]) && !fds.contains(pair[1]), "\(fds), socket pair \(pair)")
    }
}
