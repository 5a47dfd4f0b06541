import ArgumentParser
import Foundation
import LabKit

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove everything the lab created (by pid and by the names it recorded).")
    @OptionGroup var location: LabLocation

    func run() throws {
        try Preflight.requireRoot("down")
        let record = try location.load()
        step("removing the lab in \(location.dir)")
        record.teardown(progress: note)
        step("done")
    }
}
