import ArgumentParser
import TaaSVersion

@main
struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taas-lab",
        abstract: "Builds multi-node Open vSwitch labs to try taasd.",
        version: TaaSVersion.string
    )

    mutating func run() throws {
        print("taas-lab \(TaaSVersion.string)")
    }
}
