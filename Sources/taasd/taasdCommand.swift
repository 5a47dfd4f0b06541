import ArgumentParser
import TaaSVersion

@main
struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taasd",
        abstract: "Tap-as-a-Service OpenFlow 1.3 controller for Open vSwitch.",
        version: TaaSVersion.string
    )

    mutating func run() throws {
        print("taasd \(TaaSVersion.string)")
    }
}
