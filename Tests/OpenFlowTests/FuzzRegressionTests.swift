import Foundation
import OpenFlow
import OpenFlowFuzzSupport
import TaaSTestSupport
import Testing

/// Replays the fuzzer's seeds and every crasher it ever found (`Tests/FuzzCorpus/regressions`,
/// added by scripts/fuzz.sh) through the same invariants the fuzzer checks.
@Suite struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    static func files(_ sub: String) -> [String] {
        let dir = corpus.appendingPathComponent(sub)
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            .map { dir.appendingPathComponent($0).path }
    }

    @Test func seedsAndRegressionsHoldTheInvariants() throws {
        let all = Self.files("seeds") + Self.files("regressions")
        #expect(Self.files("seeds").count >= Samples.allMessages.count, "seed corpus missing: run TAAS_WRITE_FUZZ_SEEDS=$PWD/Tests/FuzzCorpus/seeds swift test --filter FuzzRegressionTests")
        for path in all {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: Never.self, "\(path)") { try DecoderInvariants.check([UInt8](data)) }
        }
    }

    /// Writes one seed file per sample message when TAAS_WRITE_FUZZ_SEEDS names a folder.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAAS_WRITE_FUZZ_SEEDS"] != nil))
    func writeSeeds() throws {
        let dir = try #require(ProcessInfo.processInfo.environment["TAAS_WRITE_FUZZ_SEEDS"])
        for (name, m) in Samples.allMessages {
            try Data(m.encoded().readableBytesView).write(to: URL(fileURLWithPath: dir).appendingPathComponent("\(name).bin"))
        }
    }

    @Test func invariantsHoldForEverySample() throws {
        for (name, m) in Samples.allMessages {
            let bytes = Array(m.encoded().readableBytesView)
            let n = try DecoderInvariants.check(bytes)
            #expect(n == 1, "\(name)")
        }
    }
}
