import Foundation
import Pipeline
import Testing

/// The compiler's output for each scenario is what flows/ says. `TAAS_WRITE_GOLDEN=1 swift test
/// --filter GoldenTests` rewrites the files after a deliberate change.
@Suite struct GoldenTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("flows")

    static func file(_ scenario: String, _ node: String, _ kind: String) -> URL {
        root.appendingPathComponent(scenario).appendingPathComponent("\(node).\(kind)")
    }

    @Test(arguments: Scenarios.all.map(\.name))
    func compilerOutputIsTheGoldenFile(name: String) throws {
        let scenario = try #require(Scenarios.all.first { $0.name == name })
        let programs = Scenarios.programs(scenario)
        let write = ProcessInfo.processInfo.environment["TAAS_WRITE_GOLDEN"] == "1"
        for node in scenario.nodes {
            let program = try #require(programs[node])
            for (kind, text) in [("flows", program.flowText), ("groups", program.groupText), ("meters", program.meterText)] {
                let url = Self.file(name, node, kind)
                let body = text.isEmpty ? "" : text + "\n"
                if write {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    if body.isEmpty { try? FileManager.default.removeItem(at: url) } else { try body.write(to: url, atomically: true, encoding: .utf8) }
                    continue
                }
                let golden = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                #expect(body == golden, "\(name)/\(node).\(kind) differs from the compiler's output:\n\(body)")
            }
        }
        // Compiling is deterministic.
        #expect(Scenarios.programs(scenario) == programs)
    }
}
