import OpenFlowFuzzSupport

#if FUZZING
// Built by scripts/fuzz.sh with -sanitize=fuzzer,address. SwiftPM links every executable's
// entry point as `<module>_main`, so that is where libFuzzer's driver is started.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("openflow_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        do {
            try DecoderInvariants.check(UnsafeRawBufferPointer(start: data, count: size))
        } catch {
            fatalError("decoder invariant violated: \(error)")
        }
        return 0
    }
}
#else
#if canImport(Glibc)
import Glibc
#endif

/// Without the fuzzer: replays the given files (a corpus or crashers) through the same check.
@main
struct Replay {
    static func main() {
        var failures = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                failures += 1
                continue
            }
            do {
                let n = try DecoderInvariants.check(bytes)
                print("ok \(path): \(n) message(s)")
            } catch {
                print("FAIL \(path): \(error)")
                failures += 1
            }
        }
        exit(failures == 0 ? 0 : 1)
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out.append(contentsOf: chunk[..<n])
        }
        return out
    }
}
#endif
