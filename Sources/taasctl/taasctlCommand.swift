import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TaaSVersion

/// The command-line client of the taasd API, in the shape of the OpenStack client's TaaS commands.
@main
struct Taasctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taasctl",
        abstract: "Command-line client for the taasd policy API.",
        discussion: """
            Exit codes: 0 success, 1 the API refused the request (the reason is printed), 3 taasd could not be
            reached, 64 bad usage.
            """,
        version: TaaSVersion.string,
        subcommands: [Tap.self, PortCommand.self, NodeCommand.self, StatusCommand.self]
    )
}

struct Tap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tap services, tap flows and tap mirrors.",
        subcommands: [Service.self, Flow.self, Mirror.self])
}

/// Options every command shares.
struct Connection: ParsableArguments {
    @Option(help: ArgumentHelp("taasd's API (or TAAS_URL).", valueName: "url"))
    var url: String = ProcessInfo.processInfo.environment["TAAS_URL"] ?? "http://127.0.0.1:9696"

    @Option(help: ArgumentHelp("Token for X-Auth-Token (or TAAS_TOKEN).", valueName: "token"))
    var token: String? = ProcessInfo.processInfo.environment["TAAS_TOKEN"]

    @Option(name: [.short, .customLong("format")], help: "Output: table, json or yaml.")
    var format: OutputFormat = .table

    var client: APIClient { APIClient(base: url, token: token) }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml
}

/// What taasctl exits with when the API or the network fails.
struct Failure: Error, CustomStringConvertible {
    var description: String
    var code: Int32
}

extension AsyncParsableCommand {
    /// Runs `body`, printing a failure as one line and exiting with its code.
    func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let f as Failure {
            FileHandle.standardError.write(Data("taasctl: \(f.description)\n".utf8))
            throw ExitCode(f.code)
        }
    }
}
