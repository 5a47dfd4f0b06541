import Logging
import TaaSState
@testable import TaaSStore
import Testing

/// A write's deadline (`StoreDeadline`) bounds its wait for the connection.
@Suite struct PostgresLinkTests {
    static func link() throws -> PostgresLink {
        let (configuration, shown) = try PostgresLink.parse("postgresql://postgres@/postgres?host=/tmp/taas-no-such-dir")
        return PostgresLink(configuration: configuration, location: shown, timeout: .seconds(5), logger: Logger(label: "test"))
    }

    @Test func aWriteWhoseDeadlinePassedFailsWithoutTryingTheServer() throws {
        let link = try Self.link()
        let spent = ContinuousClock.now - .milliseconds(1)
        do {
            try StoreDeadline.$by.withValue(spent) { try link.with { _ in } }
            Issue.record("a write past its deadline went on")
        } catch let e as StoreError {
            #expect("\(e)".contains("did not answer within 5000 ms (the calls to the store ahead of this one)"), "\(e)")
        }
        // With time left (or none set), it tries the server, which is not there.
        for deadline in [ContinuousClock.now + .seconds(5), nil] {
            do {
                try StoreDeadline.$by.withValue(deadline) { try link.with { _ in } }
                Issue.record("reached a server that does not exist")
            } catch let e as StoreError {
                #expect("\(e)".contains("cannot reach PostgreSQL"), "\(e)")
            }
        }
    }
}
