import ArgumentParser
import TaaSVersion

@main
struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taasctl",
        abstract: "Command-line client for the taasd policy API.",
        version: TaaSVersion.string
    )

    mutating func run() throws {
        print("taasctl \(TaaSVersion.string)")
    }
}
