// Encodes and decodes the mirror FLOW_MOD for a fixed time on one core and prints operations
// per second, in the same format as reference/osken_codec.py, so scripts/bench-codec.sh can
// run both side by side.
import NIOCore
import OpenFlow

let mirror = OpenFlowMessage(xid: 7, .flowMod(FlowMod(
    cookie: 0x1234, priority: 100,
    match: [.inPort(1), .ethDst(EthernetAddress(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff))],
    instructions: [.applyActions([.output(3), .setField(.tunnelID(0x64)), .output(100)])])))

@inline(never)
func rate(seconds: Double, _ body: () -> Int) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var n = 0, sink = 0
    while true {
        for _ in 0..<10_000 { sink &+= body() }
        n += 10_000
        let e = clock.now - start
        let elapsed = Double(e.components.seconds) + Double(e.components.attoseconds) / 1e18
        if elapsed >= seconds {
            if sink == 42 { print("") }  // keeps the work observable
            return Double(n) / elapsed
        }
    }
}

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 3 : 3
let wire = mirror.encoded()
print("wire-hex", Array(wire.readableBytesView).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
var out = ByteBufferAllocator().buffer(capacity: 256)
print("encode", Int(rate(seconds: seconds) {
    out.clear()
    return out.writeOpenFlowMessage(mirror)
}))
print("decode", Int(rate(seconds: seconds) {
    var b = wire
    return (try? b.readOpenFlowMessage())?.xid == 7 ? 1 : 0
}))
